/**
 * How many sockets each key (a user, a client address) holds open on this
 * node, capped at `max`.
 *
 * Per node on purpose: what a socket costs (memory, a bus subscription per
 * room, presence entries) is a node's cost, and a node's own count needs no
 * clean-up when another node dies. Across the cluster a key holds at most
 * `max` x nodes; the cluster-wide handshake rate limits bound how fast.
 */
export interface ConnectionQuota {
  /** The cap per key. */
  readonly max: number;
  /** Whether the key may take another slot now. */
  available(key: string): boolean;
  /** Takes a slot for the key; false when it is at the cap. */
  take(key: string): boolean;
  /** Gives back one slot taken by `take` (the caller releases each take once). */
  release(key: string): void;
  /** Slots the key holds now. */
  held(key: string): number;
}

/** Counts only: no object per connection, so an idle node's memory per socket does not grow with it. */
export function createConnectionQuota(max: number): ConnectionQuota {
  const held = new Map<string, number>();
  return {
    max,
    available: (key) => (held.get(key) ?? 0) < max,
    take(key) {
      const n = held.get(key) ?? 0;
      if (n >= max) return false;
      held.set(key, n + 1);
      return true;
    },
    release(key) {
      const left = (held.get(key) ?? 0) - 1;
      if (left > 0) held.set(key, left);
      else held.delete(key);
    },
    held: (key) => held.get(key) ?? 0,
  };
}
