export { createMemoryRateLimiter } from './memory';
export type { RateLimiterOptions } from './memory';
export { createRedisRateLimiter } from './redis';
export type { RateLimiter, RateLimitRule } from './types';
