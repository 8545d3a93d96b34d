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

const flag = z.enum(['on', 'off', 'true', 'false', '1', '0']).transform((v) => v === 'on' || v === 'true' || v === '1');

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
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/)
    .default('chat'),
  TOKEN_SECRET: z.string().min(32, 'TOKEN_SECRET must be at least 32 characters').optional(),
  /** At most 30 days: a leaked token must not be good forever. */
  TOKEN_TTL_SEC: z.coerce
    .number()
    .int()
    .positive()
    .max(30 * 24 * 3600, 'TOKEN_TTL_SEC must be at most 2592000 (30 days)')
    .default(24 * 3600),
  /** `off`: only app users (APP_JWT_*) get sessions; nickname sessions are refused with `forbidden`. */
  GUEST_SESSIONS: flag.default(true),
  /** App-issued identity: HS256 secret (>= 32 characters) or a PEM public key (RS256/ES256) for `POST /api/v1/sessions/exchange`. */
  APP_JWT_SECRET: z.string().min(32, 'APP_JWT_SECRET must be at least 32 characters').optional(),
  APP_JWT_PUBLIC_KEY: z.string().min(1).optional(),
  APP_JWT_ISSUER: z.string().min(1).optional(),
  APP_JWT_AUDIENCE: z.string().min(1).optional(),
  /** Comma-separated keys for the server API (`POST /api/v1/rooms/:id/messages`); unset: the route is 404. */
  SERVER_API_KEYS: z.string().optional(),
  /** Proxies in front of the node whose X-Forwarded-For is trusted: 0 embedded, 1 behind the load balancer. */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** Internal listener for /metrics (and the probes); never the public port. 0 picks a free port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METRICS_HOST: z.string().default('127.0.0.1'),
  /** A CA bundle (PEM file) to verify MySQL's TLS certificate with; `?ssl=true` in MYSQL_URL turns TLS on with the system CAs. */
  MYSQL_SSL_CA: z.string().min(1).optional(),
  /** Redis ACL user and password, for REDIS_URL and REDIS_CLUSTER_NODES alike (a password in REDIS_URL works too). */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** `on`: TLS to every node of REDIS_CLUSTER_NODES (REDIS_URL says it with rediss://). */
  REDIS_TLS: flag.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: z.string().default('*'),
  MESSAGE_RATE_LIMIT: rateRule.default({ points: 20, durationSec: 1 }),
  SESSION_RATE_LIMIT: rateRule.default({ points: 120, durationSec: 60 }),
  /** History reads (socket `history` and REST) per user, cluster-wide. */
  HISTORY_RATE_LIMIT: rateRule.default({ points: 10, durationSec: 1 }),
  /** Socket handshakes per client address, cluster-wide. */
  CONNECT_ADDRESS_RATE_LIMIT: rateRule.default({ points: 300, durationSec: 60 }),
  /** Events (requests of any kind) one socket may send, per socket. */
  SOCKET_EVENT_RATE_LIMIT: rateRule.default({ points: 50, durationSec: 1 }),
  /** Socket handshakes per user, cluster-wide: each may post join and leave announcements. */
  CONNECT_RATE_LIMIT: rateRule.default({ points: 30, durationSec: 60 }),
  /** Sockets one user may hold open on one node at once. */
  CONNECTIONS_PER_USER_MAX: z.coerce.number().int().min(1).max(10_000).default(20),
  /** Sockets one client address may hold open on one node at once. */
  CONNECTIONS_PER_ADDRESS_MAX: z.coerce.number().int().min(1).max(1_000_000).default(500),
  /** Messages one handshake or `join` with `afterSeq` replays at most; past it the client pages with history. */
  RESUME_MAX: z.coerce.number().int().min(0).max(100_000).default(1000),
  /** Bytes waiting for one client past which its connection is closed (it stopped reading). */
  CLIENT_QUEUE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
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
  /** SERVER_API_KEYS split; empty: no server API. */
  serverApiKeys: string[];
  /** App-issued identity, when APP_JWT_SECRET or APP_JWT_PUBLIC_KEY is set. */
  appJwt?: { secret?: string; publicKeyPem?: string; issuer?: string; audience?: string };
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
  if (e.APP_JWT_SECRET && e.APP_JWT_PUBLIC_KEY) {
    throw new Error('invalid configuration:\n  APP_JWT_SECRET, APP_JWT_PUBLIC_KEY: set one of them, not both');
  }
  const serverApiKeys = (e.SERVER_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (serverApiKeys.some((k) => k.length < 32)) {
    throw new Error('invalid configuration:\n  SERVER_API_KEYS: every key must be at least 32 characters');
  }
  const appJwt =
    e.APP_JWT_SECRET || e.APP_JWT_PUBLIC_KEY
      ? {
          ...(e.APP_JWT_SECRET ? { secret: e.APP_JWT_SECRET } : {}),
          // Environments often carry a PEM on one line with literal \n.
          ...(e.APP_JWT_PUBLIC_KEY ? { publicKeyPem: e.APP_JWT_PUBLIC_KEY.replace(/\\n/g, '\n') } : {}),
          ...(e.APP_JWT_ISSUER ? { issuer: e.APP_JWT_ISSUER } : {}),
          ...(e.APP_JWT_AUDIENCE ? { audience: e.APP_JWT_AUDIENCE } : {}),
        }
      : undefined;
  return {
    ...e,
    serverApiKeys,
    ...(appJwt ? { appJwt } : {}),
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
