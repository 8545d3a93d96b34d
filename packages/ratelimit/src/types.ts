/** A budget of `points` per `durationSec` per key. */
export interface RateLimitRule {
  points: number;
  durationSec: number;
}

export interface RateLimiter {
  /** Spends points for the key; throws ChatError('rate_limited', …, retryAfterSec) when the budget is spent. */
  consume(key: string, points?: number): Promise<void>;
}
