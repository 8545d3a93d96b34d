/** One jest run for the whole workspace. Suites that need MariaDB/Redis talk to the real ones. */
// Suites that start whole clusters of node processes (several tsx processes
// compiling at once): slow on a 2-core machine, so they run with
// `pnpm test:cluster` (CHAT_CLUSTER_TESTS=1) instead of in `pnpm test`.
const CLUSTER_SUITES = '/packages/devcluster/test/(wire\\.cluster|cluster-behaviour|launcher)\\.test\\.ts$';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/deploy'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: process.env.CHAT_CLUSTER_TESTS === '1' ? ['/node_modules/'] : ['/node_modules/', CLUSTER_SUITES],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.base.json', isolatedModules: true, diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  // In band: the cluster suites start several node processes each; two such suites at once
  // on 2 cores make start-up times, not the product, the thing under test.
  maxWorkers: 1,
  forceExit: false,
};
