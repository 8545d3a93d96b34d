import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { Cluster, Redis } from 'ioredis';
import { wrapLimiter } from './limiter';
import { DEFAULT_KEY_PREFIX, memoryLimiter } from './memory';
import type { RateLimiterOptions } from './memory';
import type { RateLimiter } from './types';

/**
 * Budgets shared by every node through Redis (cluster-wide): one Lua call
 * (INCRBY + TTL on `<keyPrefix>:<key>`, one key, Cluster-safe) per consume.
 *
 * While Redis is not ready the limiter answers at once from an in-memory
 * insurance limiter with the same rule, so an outage degrades to per-node
 * limits instead of failing or stalling requests behind the reconnect queue.
 * (So does a client that has not reached "ready" yet: start serving after it.)
 */
export function createRedisRateLimiter(redis: Redis | Cluster, rule: RateLimiterOptions): RateLimiter {
  return wrapLimiter(
    new RateLimiterRedis({
      // ioredis: `useRedisPackage` stays off (that flag is for the `redis` package).
      storeClient: redis,
      points: rule.points,
      duration: rule.durationSec,
      keyPrefix: rule.keyPrefix ?? DEFAULT_KEY_PREFIX,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memoryLimiter(rule),
    }),
  );
}
