/**
 * How many sockets each user holds open on this node, capped at `maxPerUser`.
 *
 * Per node on purpose: what a socket costs (memory, a bus subscription per
 * room, presence entries) is a node's cost, and a node's own count needs no
 * clean-up when another node dies. Across the cluster a user holds at most
 * `maxPerUser` x nodes; the cluster-wide handshake rate limit bounds how fast.
 */
export interface ConnectionQuota {
  /** Takes a slot for the user; false when the user is at the cap. */
  take(userId: string): boolean;
  /** Gives back one slot taken by `take` (the caller releases each take once). */
  release(userId: string): void;
  /** Slots the user holds now. */
  held(userId: string): number;
}

/** Counts only: no object per connection, so an idle node's memory per socket does not grow with it. */
export function createConnectionQuota(maxPerUser: number): ConnectionQuota {
  const held = new Map<string, number>();
  return {
    take(userId) {
      const n = held.get(userId) ?? 0;
      if (n >= maxPerUser) return false;
      held.set(userId, n + 1);
      return true;
    },
    release(userId) {
      const left = (held.get(userId) ?? 0) - 1;
      if (left > 0) held.set(userId, left);
      else held.delete(userId);
    },
    held: (userId) => held.get(userId) ?? 0,
  };
}
