import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { knexConfig, migrateLatest } from '../src';
import { storeContract } from './store-contract';

/** The test server (TEST_MYSQL_URL without its database, or the local MariaDB). */
const SERVER = (() => {
  const url = new URL(process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test');
  url.pathname = '';
  return url.toString().replace(/\/$/, '');
})();

/** Runs a statement on the server without selecting a database (CREATE/DROP DATABASE). */
async function onServer(fn: (admin: Knex) => Promise<unknown>): Promise<void> {
  const admin = knexFactory(knexConfig({ mysqlUrl: SERVER }));
  try {
    await fn(admin);
  } finally {
    await admin.destroy();
  }
}

storeContract('MySQL/MariaDB (mysql2, temporary database)', async () => {
  const database = `chat_store_test_${randomBytes(6).toString('hex')}`;
  // Identifiers cannot be bound as parameters; `??` makes knex quote it as one.
  await onServer((admin) => admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_bin', [database]));
  const knex = knexFactory(knexConfig({ mysqlUrl: `${SERVER}/${database}` }));
  try {
    await migrateLatest(knex);
  } catch (err) {
    await knex.destroy();
    await onServer((admin) => admin.raw('DROP DATABASE IF EXISTS ??', [database]));
    throw err;
  }
  return {
    knex,
    async close() {
      await knex.destroy();
      await onServer((admin) => admin.raw('DROP DATABASE IF EXISTS ??', [database]));
    },
  };
});

describe('TLS to MySQL', () => {
  test('?ssl=true makes the driver insist on TLS: a server without it is refused, not spoken to in clear', async () => {
    const knex = knexFactory(knexConfig({ mysqlUrl: `${SERVER}?ssl=true` }));
    try {
      await expect(knex.raw('SELECT 1')).rejects.toThrow(/secure connection|SSL|TLS/i);
    } finally {
      await knex.destroy();
    }
  });
});
