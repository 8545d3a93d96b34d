import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import Redis, { Cluster } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { createKnexStore, knexConfig, migrateLatest } from '@chat/store';
import type { ChatStore } from '@chat/store';
import { createMemoryPresence, createRedisPresence } from '@chat/presence';
import type { PresenceStore } from '@chat/presence';
import { coalesceSeqReservations, createMemoryBus, createMemorySeqAllocator, createRedisBus, createRedisSeqAllocator } from '@chat/fanout';
import type { RoomBus, SeqAllocator } from '@chat/fanout';
import { createMemoryRateLimiter, createRedisRateLimiter } from '@chat/ratelimit';
import type { RateLimitRule } from '@chat/ratelimit';
import { createAppTokenVerifier, createTokenService } from '@chat/auth';
import type { AppTokenVerifier, TokenService } from '@chat/auth';
import type { ChatLimiters } from '@chat/chat';
import type { Logger, Metrics } from '@chat/observability';
import type { Config } from './config';
import { redisKeys } from './redis-keys';
import { loadOrCreateTokenSecret } from './token-secret';

export type RedisClient = Redis | Cluster;

/** Longest a node waits for Redis to answer one command. */
const REDIS_COMMAND_TIMEOUT_MS = 3000;

/** The backends a node talks to, chosen from the config: Redis and MySQL in a cluster, in-process twins and SQLite embedded. */
export interface Adapters {
  store: ChatStore;
  presence: PresenceStore;
  bus: RoomBus;
  seq: SeqAllocator;
  limits: ChatLimiters;
  tokens: TokenService;
  appTokens?: AppTokenVerifier;
  /** Present in cluster mode: clients for the socket.io adapter (pub and a dedicated subscriber) and its channel prefix. */
  redis?: { pub: RedisClient; sub: RedisClient; adapterPrefix: string; cluster: boolean };
  /** Store, and Redis where configured, answer. */
  ready(): Promise<boolean>;
  /** Idempotent: stops presence timers, closes the bus, disconnects. Close the domain first. */
  close(): Promise<void>;
}

/**
 * The composition root's one job: choose and connect the adapter of every
 * port. It holds no behaviour; the domain is wired on top in node.ts.
 */
export async function openAdapters(config: Config, deps: { logger: Logger; metrics: Metrics }): Promise<Adapters> {
  const { logger, metrics } = deps;
  const keys = redisKeys(config.REDIS_KEY_PREFIX);
  const db = knexFactory(knexConfig(config.MYSQL_URL ? { mysqlUrl: config.MYSQL_URL, ...mysqlTls(config) } : { sqliteFile: sqliteFile(config.DATA_DIR) }));
  await migrateWithRetry(db, logger);
  const store = createKnexStore(db);
  const redis = config.clustered ? connectRedis(config, logger, metrics) : undefined;

  const presenceOpts = {
    nodeId: config.nodeId,
    heartbeatIntervalMs: config.PRESENCE_HEARTBEAT_MS,
    nodeTtlMs: config.PRESENCE_NODE_TTL_MS,
    onError: (err: unknown) => logger.warn({ err }, 'presence background pass failed'),
  };
  const loadMax = (roomId: string) => store.maxSeq(roomId);
  const presence = redis ? createRedisPresence(redis.commands, { ...presenceOpts, keyPrefix: keys.presence }) : createMemoryPresence(presenceOpts);
  const bus = redis
    ? createRedisBus(redis.commands, redis.busSub, { channelPrefix: keys.bus, onError: (err: unknown) => logger.debug({ err }, 'bus message dropped') })
    : createMemoryBus();
  const seq = redis ? coalesceSeqReservations(createRedisSeqAllocator(redis.commands, { keyPrefix: keys.seq, loadMax })) : createMemorySeqAllocator(loadMax);
  /** Cluster-wide in Redis, per process when embedded; each budget under its own key prefix. */
  const limiterFor = (rule: RateLimitRule, name: string) => {
    const named = { ...rule, keyPrefix: keys.rateLimit(name) };
    return redis ? createRedisRateLimiter(redis.commands, named) : createMemoryRateLimiter(named);
  };
  const limits: ChatLimiters = {
    message: limiterFor(config.MESSAGE_RATE_LIMIT, 'msg'),
    session: limiterFor(config.SESSION_RATE_LIMIT, 'session'),
    connect: limiterFor(config.CONNECT_RATE_LIMIT, 'connect'),
    connectAddress: limiterFor(config.CONNECT_ADDRESS_RATE_LIMIT, 'connect-addr'),
    history: limiterFor(config.HISTORY_RATE_LIMIT, 'history'),
  };
  const tokens = createTokenService({ secret: config.TOKEN_SECRET ?? loadOrCreateTokenSecret(config.DATA_DIR), ttlSec: config.TOKEN_TTL_SEC });
  const appTokens = config.appJwt ? createAppTokenVerifier(config.appJwt) : undefined;
  presence.start();

  let closing: Promise<void> | undefined;
  return {
    store,
    presence,
    bus,
    seq,
    limits,
    tokens,
    ...(appTokens ? { appTokens } : {}),
    ...(redis
      ? { redis: { pub: redis.commands, sub: redis.adapterSub, adapterPrefix: keys.socketIoAdapter, cluster: config.redisClusterNodes.length > 0 } }
      : {}),
    async ready() {
      try {
        await store.ping();
        if (redis) await redis.commands.ping();
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closing ??= (async () => {
        await presence.close();
        await bus.close();
        if (redis) await Promise.all(redis.all.map((c) => c.quit().catch(() => c.disconnect())));
        await db.destroy();
      })();
      return closing;
    },
  };
}

/** Nodes starting together race for knex's migration lock; the losers wait for the winner. */
async function migrateWithRetry(db: Knex, logger: Logger): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await migrateLatest(db);
      return;
    } catch (err) {
      // Concurrent first runs can also collide on creating knex's own bookkeeping tables.
      const locked = err instanceof Error && /already locked|already exists|ER_TABLE_EXISTS|Deadlock/i.test(err.message);
      if (!locked || Date.now() > deadline) throw err;
      logger.info('migrations locked by another node; waiting');
      await new Promise((r) => setTimeout(r, 250 + Math.random() * 250));
    }
  }
}

/** Embedded mode's database: only this user may read it (its folder 0700, the file 0600). */
function sqliteFile(dataDir: string): string {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  const file = path.join(dataDir, 'chat.sqlite3');
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
  return file;
}

function mysqlTls(config: Config): { sslCa?: string } {
  return config.MYSQL_SSL_CA ? { sslCa: fs.readFileSync(config.MYSQL_SSL_CA, 'utf8') } : {};
}

function connectRedis(config: Config, logger: Logger, metrics: Metrics) {
  // Named connections: operators (and the reconnect test) can find a node's clients in CLIENT LIST.
  // Auto-pipelining on the command connection: the rate-limit, seq and presence
  // commands of every send handled in one turn of the event loop share one write.
  // The bus's subscriber re-subscribes its rooms itself (retrying what Redis refuses, then telling the
  // node what it may have missed), so ioredis's own re-subscription is off there: a refused one is an
  // unhandled rejection inside ioredis, which would end the process.
  const auth: RedisOptions = {
    ...(config.REDIS_USERNAME ? { username: config.REDIS_USERNAME } : {}),
    ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}),
  };
  const make = (role: string, opts: { enableAutoPipelining?: boolean; autoResubscribe?: boolean; commandTimeout?: number } = {}): RedisClient => {
    const connectionName = `${config.REDIS_KEY_PREFIX}:${config.nodeId}:${role}`;
    const { enableAutoPipelining = false, autoResubscribe = true } = opts;
    const timeout = opts.commandTimeout ? { commandTimeout: opts.commandTimeout } : {};
    const client: RedisClient =
      config.redisClusterNodes.length > 0
        ? new Cluster(config.redisClusterNodes, {
            shardedSubscribers: true,
            enableAutoPipelining,
            redisOptions: { maxRetriesPerRequest: 3, connectionName, ...timeout, ...auth, ...(config.REDIS_TLS ? { tls: {} } : {}) },
          } as ConstructorParameters<typeof Cluster>[1])
        : // rediss:// in REDIS_URL turns TLS on; a user and password in it work too (REDIS_USERNAME/PASSWORD win).
          new Redis(config.REDIS_URL!, { maxRetriesPerRequest: 3, connectionName, enableAutoPipelining, autoResubscribe, ...timeout, ...auth });
    client.on('error', (err: unknown) => {
      metrics.redisErrors.inc();
      logger.warn({ err }, 'redis error');
    });
    return client;
  };
  // A command Redis has not answered in time fails (a send is refused with `unavailable`) instead of
  // waiting out the client's reconnect retries, which took tens of seconds with Redis down.
  const commands = make('commands', { enableAutoPipelining: true, commandTimeout: REDIS_COMMAND_TIMEOUT_MS });
  const busSub = make('bus-sub', { autoResubscribe: false });
  const adapterSub = make('adapter-sub');
  return { commands, busSub, adapterSub, all: [commands, busSub, adapterSub] };
}
