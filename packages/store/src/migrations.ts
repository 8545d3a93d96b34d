import type { Knex } from 'knex';
import { isMysql } from './dialect';

/** Knex's bookkeeping table for this package (its lock table is `chat_migrations_lock`). */
export const MIGRATIONS_TABLE = 'chat_migrations';

interface NamedMigration extends Knex.Migration {
  name: string;
}

/**
 * MySQL table options. Everything compares binary (utf8mb4_bin) so unique names and
 * lookups behave as on SQLite: 'Room' and 'room' are two rooms on both. One difference
 * remains: utf8mb4_bin is PAD SPACE, so 'a' and 'a ' collide on MySQL only; the protocol
 * trims names before they get here, so that case never arises.
 */
function mysqlTable(knex: Knex, t: Knex.CreateTableBuilder): void {
  if (!isMysql(knex)) return;
  t.engine('InnoDB');
  t.charset('utf8mb4');
  t.collate('utf8mb4_bin');
}

const initial: NamedMigration = {
  name: '0001_initial',
  async up(knex) {
    await knex.schema.createTable('rooms', (t) => {
      mysqlTable(knex, t);
      t.string('id', 40).notNullable().primary();
      t.string('name', 64).notNullable();
      t.string('status', 16).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['name'], { indexName: 'rooms_name_unique' });
    });
    await knex.schema.createTable('users', (t) => {
      mysqlTable(knex, t);
      t.string('id', 40).notNullable().primary();
      t.string('nick_name', 32).notNullable();
      t.integer('head_num').notNullable().defaultTo(0);
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['nick_name'], { indexName: 'users_nick_name_unique' });
    });
    await knex.schema.createTable('room_members', (t) => {
      mysqlTable(knex, t);
      t.string('room_id', 40).notNullable();
      t.string('user_id', 40).notNullable();
      t.bigInteger('joined_at').notNullable();
      t.primary(['room_id', 'user_id']);
      t.index(['user_id'], 'room_members_user_id_index');
    });
    await knex.schema.createTable('messages', (t) => {
      mysqlTable(knex, t);
      t.string('room_id', 40).notNullable();
      t.bigInteger('seq').notNullable();
      t.string('id', 40).notNullable();
      t.string('user_id', 40).notNullable();
      t.string('nick_name', 32).notNullable();
      // TEXT: 4000 characters of utf8mb4 are at most 16000 bytes, within TEXT's 65535.
      t.text('content').notNullable();
      t.string('kind', 8).notNullable();
      t.string('event', 8).nullable();
      t.string('client_msg_id', 64).nullable();
      t.bigInteger('sent_at').notNullable();
      // (room_id, seq) is the clustered key in InnoDB: a history page is one range scan.
      t.primary(['room_id', 'seq']);
      t.unique(['id'], { indexName: 'messages_id_unique' });
      // NULL client_msg_ids never collide, so system messages need none.
      t.unique(['room_id', 'user_id', 'client_msg_id'], { indexName: 'messages_client_msg_unique' });
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('messages');
    await knex.schema.dropTableIfExists('room_members');
    await knex.schema.dropTableIfExists('users');
    await knex.schema.dropTableIfExists('rooms');
  },
};

/**
 * Identity and access: a guest's nickName is owned by whoever holds its key
 * (only a SHA-256 of it is stored), users an app vouches for live in a table
 * of their own (their display names are not unique), and a room may be
 * private to its owner and the users the owner added.
 */
const identityAndAccess: NamedMigration = {
  name: '0002_identity_and_access',
  async up(knex) {
    await knex.schema.alterTable('users', (t) => {
      // NULL: a user from before keys, who gets one at the next session (the upgrade rule).
      t.string('key_hash', 64).nullable();
    });
    await knex.schema.alterTable('rooms', (t) => {
      t.string('visibility', 8).notNullable().defaultTo('public');
      t.string('owner_id', 40).nullable();
    });
    await knex.schema.createTable('room_grants', (t) => {
      mysqlTable(knex, t);
      t.string('room_id', 40).notNullable();
      t.string('user_id', 40).notNullable();
      t.bigInteger('granted_at').notNullable();
      t.primary(['room_id', 'user_id']);
    });
    await knex.schema.createTable('app_users', (t) => {
      mysqlTable(knex, t);
      t.string('id', 40).notNullable().primary();
      t.string('name', 32).notNullable();
      t.integer('head_num').notNullable().defaultTo(0);
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('app_users');
    await knex.schema.dropTableIfExists('room_grants');
    await knex.schema.alterTable('rooms', (t) => {
      t.dropColumn('owner_id');
      t.dropColumn('visibility');
    });
    await knex.schema.alterTable('users', (t) => t.dropColumn('key_hash'));
  },
};

const TABLES = ['rooms', 'users', 'room_members', 'messages', 'room_grants', 'app_users'] as const;

/**
 * MySQL only: every column compares as bytes with NO PAD. utf8mb4_bin is PAD
 * SPACE, so `'<id> '` found the row of `'<id>'`: a room id with a trailing
 * space passed the room look-up while getting Redis keys of its own, and its
 * rows took the real room's seqs. The edges refuse such ids now; this makes
 * the store agree with them (and with SQLite, which never padded).
 */
const noPadCollation: NamedMigration = {
  name: '0003_no_pad_collation',
  async up(knex) {
    if (!isMysql(knex)) return;
    const collation = await noPadBinaryCollation(knex);
    for (const table of TABLES) {
      await knex.raw('ALTER TABLE ?? CONVERT TO CHARACTER SET utf8mb4 COLLATE ??', [table, collation]);
    }
  },
  async down(knex) {
    if (!isMysql(knex)) return;
    for (const table of TABLES) {
      await knex.raw('ALTER TABLE ?? CONVERT TO CHARACTER SET utf8mb4 COLLATE ??', [table, 'utf8mb4_bin']);
    }
  },
};

/** MariaDB calls its binary NO PAD collation utf8mb4_nopad_bin; MySQL 8, utf8mb4_0900_bin. */
async function noPadBinaryCollation(knex: Knex): Promise<string> {
  const [rows] = (await knex.raw('SELECT VERSION() AS v')) as [Array<{ v: string }>];
  return /mariadb/i.test(rows[0]?.v ?? '') ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
}

const MIGRATIONS: readonly NamedMigration[] = [initial, identityAndAccess, noPadCollation];

/**
 * Migrations defined in code rather than loaded from a directory, so they run the same
 * under tsx, ts-jest and a bundle. Append new entries; never edit a released one.
 */
export const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};

/** Brings the schema up to date; a no-op when it already is. */
export async function migrateLatest(knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource, tableName: MIGRATIONS_TABLE });
}
