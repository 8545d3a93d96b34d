import type { Knex } from 'knex';
import type { ChatStore } from './types';
import { roomQueries } from './room-queries';
import { userQueries } from './user-queries';
import { messageQueries } from './message-queries';

/**
 * The ChatStore on knex, for MySQL/MariaDB (mysql2) and SQLite (better-sqlite3) alike.
 * The knex instance is owned by the caller, who also destroys it; run `migrateLatest` first.
 * Every query goes through the builder with bound values.
 */
export function createKnexStore(knex: Knex): ChatStore {
  return {
    ...roomQueries(knex),
    ...userQueries(knex),
    ...messageQueries(knex),
    async ping() {
      await knex.select(knex.raw('1 as ok'));
    },
  };
}
