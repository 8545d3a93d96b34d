import { RateLimiterMemory } from 'rate-limiter-flexible';
import { wrapLimiter } from './limiter';
import type { RateLimiter, RateLimitRule } from './types';

export const DEFAULT_KEY_PREFIX = 'chat:rl';

export type RateLimiterOptions = RateLimitRule & {
  /** Namespaces the counters (one prefix per rule). Default `chat:rl`. */
  keyPrefix?: string;
};

export function memoryLimiter(rule: RateLimiterOptions): RateLimiterMemory {
  return new RateLimiterMemory({
    points: rule.points,
    duration: rule.durationSec,
    keyPrefix: rule.keyPrefix ?? DEFAULT_KEY_PREFIX,
  });
}

/** Budgets kept in this process: per node (embedded server, tests). */
export function createMemoryRateLimiter(rule: RateLimiterOptions): RateLimiter {
  return wrapLimiter(memoryLimiter(rule));
}
