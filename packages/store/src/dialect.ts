import type { Knex } from 'knex';

/**
 * True on MySQL/MariaDB. The store is one implementation for both dialects;
 * this is consulted only where the SQL really differs (table options, collations).
 */
export function isMysql(knex: Knex): boolean {
  const client: unknown = knex.client.config.client;
  return client === 'mysql2' || client === 'mysql';
}

/**
 * True when `err` is a primary-key or unique-constraint violation on either dialect
 * (MySQL ER_DUP_ENTRY, SQLite SQLITE_CONSTRAINT_PRIMARYKEY / _UNIQUE). Lets callers of
 * `appendMessages` tell "already stored" apart from an outage without knowing the driver.
 */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
