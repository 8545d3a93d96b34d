/** One jest run for the whole workspace. Suites that need MariaDB/Redis/HAProxy talk to the real ones. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/deploy'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Files are transpiled one at a time (tsconfig.base.json sets isolatedModules); `pnpm typecheck` does the type checking.
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.base.json', diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  // In band: the cluster suites start several node processes each; two such suites at once
  // on 2 cores make start-up times, not the product, the thing under test.
  maxWorkers: 1,
  forceExit: false,
};
