import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { ChatError } from '@chat/protocol';
import { createMemoryRateLimiter, createRedisRateLimiter } from '../src';
import type { RateLimiter } from '../src';

/** The test Redis: TEST_REDIS_URL, as @chat/testkit's REDIS_URL reads it (this package does not depend on the testkit). */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function rejection(p: Promise<unknown>): Promise<ChatError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ChatError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

/** The behaviour both limiters share. */
function limiterContract(name: string, make: (rule: { points: number; durationSec: number; keyPrefix: string }) => RateLimiter) {
  describe(`rate limiter: ${name}`, () => {
    test('allows the budget, then throws rate_limited with retryAfterSec', async () => {
      const limiter = make({ points: 3, durationSec: 30, keyPrefix: `test-rl-${randomUUID()}` });
      for (let i = 0; i < 3; i++) await limiter.consume('user-1');
      const err = await rejection(limiter.consume('user-1'));
      expect(err.code).toBe('rate_limited');
      expect(err.message).toMatch(/^Too many/);
      expect(err.retryAfterSec).toBeGreaterThanOrEqual(1);
      expect(err.retryAfterSec).toBeLessThanOrEqual(30);
    });

    test('keys have separate budgets; points may be spent several at a time', async () => {
      const limiter = make({ points: 5, durationSec: 30, keyPrefix: `test-rl-${randomUUID()}` });
      await limiter.consume('a', 5);
      await limiter.consume('b', 4);
      await limiter.consume('b');
      expect((await rejection(limiter.consume('a'))).code).toBe('rate_limited');
      expect((await rejection(limiter.consume('b'))).code).toBe('rate_limited');
      expect((await rejection(make({ points: 2, durationSec: 30, keyPrefix: `test-rl-${randomUUID()}` }).consume('c', 3))).code).toBe('rate_limited');
    });
  });
}

limiterContract('memory', (rule) => createMemoryRateLimiter(rule));

describe('memory limiter', () => {
  test('budgets are per instance (per node)', async () => {
    const keyPrefix = `test-rl-${randomUUID()}`;
    const a = createMemoryRateLimiter({ points: 1, durationSec: 30, keyPrefix });
    const b = createMemoryRateLimiter({ points: 1, durationSec: 30, keyPrefix });
    await a.consume('k');
    await b.consume('k');
  });
});

describe('redis limiter', () => {
  const clients: Redis[] = [];
  const prefixes: string[] = [];
  const connect = () => {
    const c = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
    clients.push(c);
    return c;
  };
  const prefix = () => {
    const p = `test-rl-${randomUUID()}`;
    prefixes.push(p);
    return p;
  };

  const shared = connect();
  beforeAll(async () => {
    await shared.ping(); // ready, so the contract below runs on Redis, not on the insurance limiter
  });

  afterAll(async () => {
    const admin = shared;
    for (const p of prefixes) {
      const keys = await admin.keys(`${p}*`);
      if (keys.length > 0) await admin.del(...keys);
    }
    await Promise.all(clients.map((c) => c.quit()));
  });

  limiterContract('redis', (rule) => {
    prefixes.push(rule.keyPrefix);
    return createRedisRateLimiter(shared, rule);
  });

  test('two nodes sharing one Redis share the budget (cluster-wide)', async () => {
    const keyPrefix = prefix();
    const [a, b] = [connect(), connect()];
    // Until a client is ready the insurance (per-node) limiter answers; nodes start serving after ready.
    await Promise.all([a.ping(), b.ping()]);
    const nodeA = createRedisRateLimiter(a, { points: 4, durationSec: 30, keyPrefix });
    const nodeB = createRedisRateLimiter(b, { points: 4, durationSec: 30, keyPrefix });
    await nodeA.consume('user-1', 2);
    await nodeB.consume('user-1');
    await nodeA.consume('user-1');
    expect((await rejection(nodeB.consume('user-1'))).code).toBe('rate_limited');
    expect((await rejection(nodeA.consume('user-1'))).code).toBe('rate_limited');
    const stored = await a.get(`${keyPrefix}:user-1`);
    expect(Number(stored)).toBeGreaterThanOrEqual(4);
  });

  test('while Redis is unreachable it degrades to a per-node limit instead of failing', async () => {
    // A client that never connects (status stays "wait"): what a node sees during an outage.
    const down = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    try {
      const limiter = createRedisRateLimiter(down, { points: 2, durationSec: 30, keyPrefix: prefix() });
      await limiter.consume('user-1');
      await limiter.consume('user-1');
      const err = await rejection(limiter.consume('user-1'));
      expect(err.code).toBe('rate_limited');
      expect(err.retryAfterSec).toBeGreaterThanOrEqual(1);
    } finally {
      down.disconnect();
    }
  });
});
