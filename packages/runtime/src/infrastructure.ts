import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import Redis, { Cluster } from 'ioredis';
import { createKnexStore, knexConfig, migrateLatest } from '@chat/store';
import type { ChatStore } from '@chat/store';
import { createMemoryPresence, createRedisPresence } from '@chat/presence';
import type { Departure, PresenceStore } from '@chat/presence';
import {
  coalesceSeqReservations,
  createMemoryBus,
  createMemorySeqAllocator,
  createPublishRetry,
  createRedisBus,
  createRedisSeqAllocator,
} from '@chat/fanout';
import type { RoomBus, SeqAllocator } from '@chat/fanout';
import { createMemoryRateLimiter, createRedisRateLimiter } from '@chat/ratelimit';
import type { RateLimitRule } from '@chat/ratelimit';
import { createTokenService } from '@chat/auth';
import type { TokenService } from '@chat/auth';
import { createChatService, createMessageWriter, toChatMessage } from '@chat/chat';
import type { ChatService, MessageWriter } from '@chat/chat';
import type { Logger, Metrics } from '@chat/observability';
import type { Config } from './config';
import { loadOrCreateTokenSecret } from './token-secret';

export type RedisClient = Redis | Cluster;

/** Everything a node is connected to, built once by main.ts and closed once on the way out. */
export interface Infrastructure {
  config: Config;
  chat: ChatService;
  store: ChatStore;
  presence: PresenceStore;
  bus: RoomBus;
  seq: SeqAllocator;
  tokens: TokenService;
  writer: MessageWriter;
  /** Present in cluster mode: clients for the socket.io adapter (pub and a dedicated subscriber). */
  redis?: { pub: RedisClient; sub: RedisClient };
  /** Store, and Redis where configured, answer. */
  ready(): Promise<boolean>;
  /** Idempotent: commits pending writes, stops timers, disconnects. */
  close(): Promise<void>;
}

/** The composition root: connects to the configured backends and wires the domain on top. */
export async function openInfrastructure(
  config: Config,
  deps: { logger: Logger; metrics: Metrics; onDepartures?: (d: Departure[]) => void },
): Promise<Infrastructure> {
  const { logger, metrics } = deps;
  const KEY_PREFIX = config.REDIS_KEY_PREFIX;
  const db = knexFactory(
    knexConfig(config.MYSQL_URL ? { mysqlUrl: config.MYSQL_URL } : { sqliteFile: sqliteFile(config.DATA_DIR) }),
  );
  await migrateWithRetry(db, logger);
  const store = createKnexStore(db);

  const redis = config.clustered ? connectRedis(config, logger, metrics) : undefined;
  const tokens = createTokenService({
    secret: config.TOKEN_SECRET ?? loadOrCreateTokenSecret(config.DATA_DIR),
    ttlSec: config.TOKEN_TTL_SEC,
  });

  let chat: ChatService | undefined;
  const presenceOpts = {
    nodeId: config.nodeId,
    heartbeatIntervalMs: config.PRESENCE_HEARTBEAT_MS,
    nodeTtlMs: config.PRESENCE_NODE_TTL_MS,
    onDepartures: (departures: Departure[]) => {
      deps.onDepartures?.(departures);
      chat?.announceDepartures(departures).catch((err) => logger.warn({ err }, 'announcing departures failed'));
    },
    // Connections added back after Redis forgot this node: every node refreshes those rooms' member lists.
    onRestored: (roomIds: string[]) => {
      for (const roomId of roomIds) {
        bus.publishMembersChanged(roomId).catch((err) => logger.warn({ err, roomId }, 'members-changed signal failed'));
      }
    },
    onError: (err: unknown) => logger.warn({ err }, 'presence background pass failed'),
  };
  const loadMax = (roomId: string) => store.maxSeq(roomId);

  const presence = redis
    ? createRedisPresence(redis.commands, { ...presenceOpts, keyPrefix: KEY_PREFIX })
    : createMemoryPresence(presenceOpts);
  const bus = redis
    ? createRedisBus(redis.commands, redis.busSub, {
        channelPrefix: KEY_PREFIX,
        onError: (err: unknown) => logger.debug({ err }, 'bus message dropped'),
      })
    : createMemoryBus();
  const seq = redis
    ? coalesceSeqReservations(createRedisSeqAllocator(redis.commands, { keyPrefix: KEY_PREFIX, loadMax }))
    : createMemorySeqAllocator(loadMax);
  /** Cluster-wide in Redis, per process when embedded; `name` keeps each budget's keys apart. */
  const limiterFor = (rule: RateLimitRule, name: string) => {
    const named = { ...rule, keyPrefix: `${KEY_PREFIX}:rl:${name}` };
    return redis ? createRedisRateLimiter(redis.commands, named) : createMemoryRateLimiter(named);
  };
  const messageLimiter = limiterFor(config.MESSAGE_RATE_LIMIT, 'msg');
  const sessionLimiter = limiterFor(config.SESSION_RATE_LIMIT, 'session');
  const connectLimiter = limiterFor(config.CONNECT_RATE_LIMIT, 'connect');

  // Stored batches the bus refused are published again once Redis takes them.
  const publisher = createPublishRetry(bus, {
    onFailure: (err, roomId) => {
      metrics.redisErrors.inc();
      logger.warn({ err, roomId }, 'publishing stored messages failed; retrying');
    },
    onGivenUp: (roomId, messages) =>
      logger.error({ roomId, messages }, 'gave up publishing stored messages; receivers fill the gap from the store'),
  });

  const writer = createMessageWriter({
    store,
    ...(config.GROUP_COMMIT
      ? {
          maxDelayMs: config.GROUP_COMMIT_MAX_DELAY_MS,
          maxBatch: config.GROUP_COMMIT_MAX_BATCH,
          concurrency: config.GROUP_COMMIT_CONCURRENCY,
        }
      : { maxDelayMs: 0, maxBatch: 1, concurrency: 16 }),
    onCommitted: (batch) => {
      metrics.messagesIn.inc(batch.filter((m) => m.kind === 'user').length);
      for (const [roomId, msgs] of groupByRoom(batch)) publisher.publish(roomId, msgs.map(toChatMessage));
    },
    onCommit: (size, seconds, failed) => {
      metrics.batchSize.observe(size);
      metrics.storeLatency.observe(seconds);
      if (failed) metrics.storeErrors.inc();
    },
  });

  chat = createChatService({
    store,
    presence,
    seq,
    writer,
    tokens,
    messageLimiter,
    sessionLimiter,
    connectLimiter,
    announceMaxMembers: config.ANNOUNCE_MAX_MEMBERS,
    onSendStage: (stage, seconds) => metrics.sendStage.observe({ stage }, seconds),
    onSeqSkipped: (roomId, seq) =>
      bus.publishSkipped(roomId, [seq]).catch((err) => logger.warn({ err, roomId, seq }, 'skipped-seq signal failed')),
    onMembersChanged: (roomId) =>
      bus.publishMembersChanged(roomId).catch((err) => logger.warn({ err, roomId }, 'members-changed signal failed')),
  });
  presence.start();

  let closing: Promise<void> | undefined;
  return {
    config,
    chat,
    store,
    presence,
    bus,
    seq,
    tokens,
    writer,
    redis: redis ? { pub: redis.commands, sub: redis.adapterSub } : undefined,
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
        await writer.close();
        publisher.close();
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

function sqliteFile(dataDir: string): string {
  fs.mkdirSync(dataDir, { recursive: true });
  return path.join(dataDir, 'chat.sqlite3');
}

function connectRedis(config: Config, logger: Logger, metrics: Metrics) {
  // Named connections: operators (and the reconnect test) can find a node's clients in CLIENT LIST.
  // Auto-pipelining on the command connection: the rate-limit, seq and presence
  // commands of every send handled in one turn of the event loop share one write.
  // The bus's subscriber re-subscribes its rooms itself (retrying what Redis refuses, then telling the
  // node what it may have missed), so ioredis's own re-subscription is off there: a refused one is an
  // unhandled rejection inside ioredis, which would end the process.
  const make = (role: string, opts: { enableAutoPipelining?: boolean; autoResubscribe?: boolean } = {}): RedisClient => {
    const connectionName = `${config.REDIS_KEY_PREFIX}:${config.nodeId}:${role}`;
    const { enableAutoPipelining = false, autoResubscribe = true } = opts;
    const client: RedisClient =
      config.redisClusterNodes.length > 0
        ? new Cluster(config.redisClusterNodes, {
            shardedSubscribers: true,
            enableAutoPipelining,
            redisOptions: { maxRetriesPerRequest: 3, connectionName },
          } as ConstructorParameters<typeof Cluster>[1])
        : new Redis(config.REDIS_URL!, { maxRetriesPerRequest: 3, connectionName, enableAutoPipelining, autoResubscribe });
    client.on('error', (err: unknown) => {
      metrics.redisErrors.inc();
      logger.warn({ err }, 'redis error');
    });
    return client;
  };
  const commands = make('commands', { enableAutoPipelining: true });
  const busSub = make('bus-sub', { autoResubscribe: false });
  const adapterSub = make('adapter-sub');
  return { commands, busSub, adapterSub, all: [commands, busSub, adapterSub] };
}

function groupByRoom<T extends { roomId: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.roomId);
    if (list) list.push(item);
    else out.set(item.roomId, [item]);
  }
  return out;
}
