/**
 * Runs `run(key)` at most once per `intervalMs` per key, coalescing every
 * request made in between into one trailing run. Used for `members` updates:
 * in a join storm each member gets one list per interval instead of one per
 * join (O(n) frames per interval instead of O(n²) in total).
 */
export interface KeyedThrottle {
  request(key: string): void;
  /** Clears every timer; pending runs are dropped. Idempotent. */
  close(): void;
}

export function createKeyedThrottle(opts: {
  /** Fixed, or per key (e.g. longer for bigger rooms), read on every request. */
  intervalMs: number | ((key: string) => number);
  run: (key: string) => Promise<void> | void;
  onError?: (err: unknown) => void;
}): KeyedThrottle {
  const timers = new Map<string, NodeJS.Timeout>();
  const lastRun = new Map<string, number>();
  let closed = false;

  function fire(key: string): void {
    timers.delete(key);
    lastRun.set(key, Date.now());
    Promise.resolve()
      .then(() => opts.run(key))
      .catch((err) => opts.onError?.(err));
  }

  return {
    request(key) {
      if (closed || timers.has(key)) return;
      const intervalMs = typeof opts.intervalMs === 'function' ? opts.intervalMs(key) : opts.intervalMs;
      const since = Date.now() - (lastRun.get(key) ?? 0);
      const wait = Math.max(0, intervalMs - since);
      // A short first delay lets a burst of joins collapse into one update.
      timers.set(key, setTimeout(fire, Math.max(wait, Math.min(20, intervalMs)), key));
      if (lastRun.size > 10_000) pruneLastRun(lastRun, LAST_RUN_KEEP_MS);
    },
    close() {
      closed = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      lastRun.clear();
    },
  };
}

/** Longest interval worth remembering a key's last run for (MEMBERS_INTERVAL_MS is at most 60 s). */
const LAST_RUN_KEEP_MS = 60_000;

function pruneLastRun(lastRun: Map<string, number>, intervalMs: number): void {
  const cutoff = Date.now() - intervalMs;
  for (const [k, t] of lastRun) if (t < cutoff) lastRun.delete(k);
}
