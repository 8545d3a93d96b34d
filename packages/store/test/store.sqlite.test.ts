import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { knexConfig, migrateLatest } from '../src';
import { storeContract } from './store-contract';

storeContract('SQLite (better-sqlite3, file in a temp dir)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chat-store-'));
  const knex = knexFactory(knexConfig({ sqliteFile: join(dir, 'chat.db') }));
  await migrateLatest(knex);
  return {
    knex,
    async close() {
      await knex.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

test('the SQLite connection gets its pragmas', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chat-store-'));
  const knex = knexFactory(knexConfig({ sqliteFile: join(dir, 'p.db') }));
  try {
    const value = (rows: Array<Record<string, unknown>>) => rows[0] && Object.values(rows[0])[0];
    expect(value(await knex.raw('pragma journal_mode'))).toBe('wal');
    expect(value(await knex.raw('pragma synchronous'))).toBe(1); // NORMAL
    expect(value(await knex.raw('pragma busy_timeout'))).toBe(5000);
    expect(value(await knex.raw('pragma foreign_keys'))).toBe(1);
  } finally {
    await knex.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});
