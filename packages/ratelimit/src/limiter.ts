import { ChatError } from '@chat/protocol';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimiter } from './types';

/** The one place a rate-limiter-flexible rejection becomes a ChatError (both backends share it). */
export function wrapLimiter(limiter: RateLimiterAbstract): RateLimiter {
  return {
    async consume(key, points = 1) {
      try {
        await limiter.consume(key, points);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          const retryAfterSec = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
          throw new ChatError('rate_limited', `Too many requests; retry in ${retryAfterSec} s.`, retryAfterSec);
        }
        // Only reachable if the insurance limiter itself failed: not the caller's fault.
        throw new ChatError('unavailable', 'Rate limiting is unavailable; retry later.');
      }
    },
  };
}
