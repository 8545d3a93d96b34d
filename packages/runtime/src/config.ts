import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const DEFAULT_PORT = 8080;

/** A limit written as `<points>/<seconds>`, e.g. `20/1`. */
const rateRule = z
  .string()
  .regex(/^\d+\/\d+$/, 'expected <points>/<seconds>')
  .transform((s) => {
    const [points, durationSec] = s.split('/').map(Number) as [number, number];
    return { points, durationSec };
  });

const flag = z
  .enum(['on', 'off', 'true', 'false', '1', '0'])
  .transform((v) => v === 'on' || v === 'true' || v === '1');

/** Every environment variable a node reads, with its default. Parsed once at start. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PORT),
  HOST: z.string().default('0.0.0.0'),
  NODE_ID: z.string().min(1).max(64).optional(),
  DATA_DIR: z.string().default('./data'),
  MYSQL_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  REDIS_CLUSTER_NODES: z.string().optional(),
  /** Namespace of every Redis key and channel, so several deployments (or test runs) can share one Redis. */
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/).default('chat'),
  TOKEN_SECRET: z.string().min(32, 'TOKEN_SECRET must be at least 32 characters').optional(),
  TOKEN_TTL_SEC: z.coerce.number().int().positive().default(24 * 3600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: z.string().default('*'),
  MESSAGE_RATE_LIMIT: rateRule.default({ points: 20, durationSec: 1 }),
  SESSION_RATE_LIMIT: rateRule.default({ points: 120, durationSec: 60 }),
  /** Socket handshakes per user, cluster-wide: each may post join and leave announcements. */
  CONNECT_RATE_LIMIT: rateRule.default({ points: 30, durationSec: 60 }),
  /** Sockets one user may hold open on one node at once. */
  CONNECTIONS_PER_USER_MAX: z.coerce.number().int().min(1).max(10_000).default(20),
  /** Bytes waiting for one client past which its connection is closed (it stopped reading). */
  CLIENT_QUEUE_MAX_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  GROUP_COMMIT: flag.default(true),
  GROUP_COMMIT_MAX_DELAY_MS: z.coerce.number().int().min(0).max(100).default(0),
  GROUP_COMMIT_MAX_BATCH: z.coerce.number().int().min(1).max(5000).default(256),
  GROUP_COMMIT_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  MEMBERS_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  ANNOUNCE_MAX_MEMBERS: z.coerce.number().int().min(0).default(200),
  MEMBERS_FULL_LIST_MAX: z.coerce.number().int().min(0).default(200),
  ROOMS_PER_SOCKET_MAX: z.coerce.number().int().min(1).max(10_000).default(100),
  DELIVERY_BATCH_MS: z.coerce.number().int().min(0).max(1000).default(10),
  DELIVERY_BATCH_MAX: z.coerce.number().int().min(1).max(1000).default(100),
  GAP_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  PRESENCE_HEARTBEAT_MS: z.coerce.number().int().min(50).default(2000),
  PRESENCE_NODE_TTL_MS: z.coerce.number().int().min(200).default(10_000),
  SOCKET_PARSER: z.enum(['json', 'msgpack']).default('json'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(8000),
});

export const ENV_VARS = Object.keys(envSchema.shape) as ReadonlyArray<keyof typeof envSchema.shape>;

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  nodeId: string;
  /** Embedded: no Redis, so presence, bus, seq and rate limits live in this process. */
  clustered: boolean;
  redisClusterNodes: Array<{ host: string; port: number }>;
  corsOrigins: '*' | string[];
}

/** Parses the environment (passed in; only main.ts reads process.env). Throws a readable error. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const redisClusterNodes = (e.REDIS_CLUSTER_NODES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseHostPort);
  const clustered = Boolean(e.REDIS_URL) || redisClusterNodes.length > 0;
  if (clustered && !e.TOKEN_SECRET) {
    throw new Error('invalid configuration:\n  TOKEN_SECRET: required when REDIS_URL or REDIS_CLUSTER_NODES is set (every node must verify every token)');
  }
  const corsOrigins = e.CORS_ORIGINS === '*' ? '*' : e.CORS_ORIGINS.split(',').map((s) => s.trim());
  return {
    ...e,
    DATA_DIR: path.resolve(e.DATA_DIR),
    nodeId: e.NODE_ID ?? `${os.hostname()}-${process.pid}`,
    clustered,
    redisClusterNodes,
    corsOrigins,
  };
}

function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port)) throw new Error(`invalid configuration:\n  REDIS_CLUSTER_NODES: bad entry "${s}"`);
  return { host: s.slice(0, i), port };
}
