import { SignJWT } from 'jose';
import type { ClientPool, ConnectOptions, TestClient } from '../client';
import { request } from '../http';
import type { HttpReply } from '../http';

/** A deployment under test: one URL a client needs, and what the suite must know of its configuration. */
export interface WireTarget {
  url: string;
  /** TOKEN_SECRET, to forge expired and foreign-looking tokens. */
  tokenSecret: string;
  /** Server-side MESSAGE_RATE_LIMIT points (per window) so the rate test knows how far to go. */
  messagePointsPerWindow: number;
  /** Where one node serves /metrics (its internal listener); the public `url` must not. */
  metricsUrl: string;
  /** APP_JWT_SECRET: the suite signs app tokens with it, as an app backend would. */
  appJwtSecret: string;
  /** One of SERVER_API_KEYS. */
  serverApiKey: string;
  close(): Promise<void>;
}

/**
 * The settings every wire target runs with (on top of its own): app identity
 * and the server API configured, and the per-address budgets out of the way
 * (every test client comes from 127.0.0.1; those limits have suites of their own).
 */
export const WIRE_APP_JWT_SECRET = 'wire-app-secret-'.padEnd(48, 'a');
export const WIRE_SERVER_API_KEY = 'wire-server-key-'.padEnd(48, 'k');
export const WIRE_ENV: Record<string, string> = {
  METRICS_PORT: '0',
  APP_JWT_SECRET: WIRE_APP_JWT_SECRET,
  SERVER_API_KEYS: `${'unused-key-'.padEnd(40, 'u')},${WIRE_SERVER_API_KEY}`,
  SESSION_RATE_LIMIT: '100000/60',
  CONNECT_ADDRESS_RATE_LIMIT: '100000/60',
  HISTORY_RATE_LIMIT: '100000/10',
  SOCKET_EVENT_RATE_LIMIT: '100000/1',
};

/** What each part of the suite gets: the target once it is up, and clients closed after each test. */
export interface WireContext {
  target(): WireTarget;
  open(url: string, opts?: ConnectOptions): Promise<TestClient>;
  pool: ClientPool;
}

/** A well-formed id nothing has: unknown ids are 404, malformed ones 400. */
export const UNKNOWN_ROOM = `room_${'f'.repeat(32)}`;
export const UNKNOWN_USER = `user_${'f'.repeat(31)}e`;

/** An app's JWT for one of its users, signed as the app's backend would (HS256 with APP_JWT_SECRET). */
export async function appToken(
  secret: string,
  claims: { sub?: string; name?: string; avatar?: number; rooms?: string[] } & Record<string, unknown>,
  opts: { expiresInSec?: number; alg?: string } = {},
): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (opts.expiresInSec ?? 300))
    .sign(new TextEncoder().encode(secret));
}

/** Exchanges an app token for a chat session; throws unless 201. */
export async function appSession(t: WireTarget, claims: Parameters<typeof appToken>[1]) {
  const reply = await request(t.url, 'POST', '/api/v1/sessions/exchange', { token: await appToken(t.appJwtSecret, claims) });
  if (reply.status !== 201) throw new Error(`exchange failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body as { token: string; userId: string; nickName: string; headNum: number };
}

/**
 * The target as a suite sees it while it registers its tests (before the
 * target has started): every property is read from the started target when a
 * test runs.
 */
export function lazyTarget(ctx: WireContext): WireTarget {
  return new Proxy({} as WireTarget, { get: (_shell, key) => ctx.target()[key as keyof WireTarget] });
}

/** The node still answers its liveness probe. */
export async function expectStillUp(t: WireTarget): Promise<void> {
  const reply: HttpReply = await request(t.url, 'GET', '/healthz');
  expect(reply.status).toBe(200);
}
