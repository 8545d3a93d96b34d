import type { Knex } from 'knex';

/**
 * MySQL (`sslCa`: a PEM CA bundle to verify the server with, which turns TLS on) or an SQLite file.
 * `?ssl=true` (or `required`) in the URL turns TLS on with the system's CAs.
 */
export type StoreTarget = { mysqlUrl: string; sslCa?: string } | { sqliteFile: string };

/**
 * Knex configuration for either backend. Pure: it connects to nothing; the service's
 * main.ts does `knex(knexConfig(target))` and passes the instance to the store.
 */
export function knexConfig(target: StoreTarget): Knex.Config {
  if ('mysqlUrl' in target) return mysqlConfig(target.mysqlUrl, target.sslCa);
  return sqliteConfig(target.sqliteFile);
}

function mysqlConfig(url: string, sslCa?: string): Knex.Config {
  const { tls, ...where } = parseMysqlUrl(url);
  return {
    client: 'mysql2',
    connection: {
      ...where,
      // Verified TLS: the given CA, or the system's when the URL asks for TLS.
      ...(sslCa ? { ssl: { ca: sslCa, rejectUnauthorized: true } } : tls ? { ssl: { rejectUnauthorized: true } } : {}),
      // BIGINT columns come back as numbers (strings only beyond 2^53, which epoch ms and seqs never reach).
      supportBigNumbers: true,
      charset: 'utf8mb4',
      timezone: 'Z',
    },
    pool: { min: 0, max: 10 },
    acquireConnectionTimeout: 10_000,
  };
}

/** `mysql://user:password@host:port/database`; user, password and database are percent-decoded. */
function parseMysqlUrl(url: string): { host: string; port: number; user: string; password: string; database?: string; tls: boolean } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('mysqlUrl is not a valid URL');
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new Error(`mysqlUrl must start with mysql:// (got ${parsed.protocol}//)`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return {
    // URL keeps IPv6 hosts bracketed; the driver wants them bare.
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    ...(database ? { database } : {}),
    tls: sslParam(parsed.searchParams.get('ssl')),
  };
}

function sslParam(value: string | null): boolean {
  if (value === null || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1' || value === 'required') return true;
  throw new Error(`mysqlUrl: ssl must be true, required or false (got ${value})`);
}

/** The part of a better-sqlite3 Database the pool hook uses. */
interface PragmaConnection {
  pragma(source: string): unknown;
}

function sqliteConfig(filename: string): Knex.Config {
  return {
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    // One connection: SQLite has a single writer anyway, and one connection keeps
    // transactions serialized instead of failing with SQLITE_BUSY. min 1 so an idle
    // pool never closes it (that would also wipe a ':memory:' database).
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: PragmaConnection, done: (err: Error | null, conn: PragmaConnection) => void) {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  };
}
