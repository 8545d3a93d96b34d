/**
 * How many sockets each user holds open on this node, capped at `maxPerUser`.
 *
 * Per node on purpose: what a socket costs (memory, a bus subscription per
 * room, presence entries) is a node's cost, and a node's own count needs no
 * clean-up when another node dies. Across the cluster a user holds at most
 * `maxPerUser` x nodes; the cluster-wide handshake rate limit bounds how fast.
 */
export interface ConnectionQuota {
  /** Takes a slot for the user, or returns undefined when the user is at the cap. The release is idempotent. */
  take(userId: string): (() => void) | undefined;
  /** Slots the user holds now. */
  held(userId: string): number;
}

export function createConnectionQuota(maxPerUser: number): ConnectionQuota {
  const held = new Map<string, number>();
  return {
    take(userId) {
      const n = held.get(userId) ?? 0;
      if (n >= maxPerUser) return undefined;
      held.set(userId, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (held.get(userId) ?? 1) - 1;
        if (left > 0) held.set(userId, left);
        else held.delete(userId);
      };
    },
    held: (userId) => held.get(userId) ?? 0,
  };
}
