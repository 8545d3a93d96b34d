/**
 * Where every Redis key and channel of a deployment lives, under its
 * REDIS_KEY_PREFIX. Each package builds its own names below the prefix it is
 * given here (presence: packages/presence/src/keys.ts; bus channels and seq
 * counters: packages/fanout/src/keys.ts), always with the room (or node) in a
 * `{hash tag}` so that everything of one room lands on one Cluster slot.
 */
export function redisKeys(prefix: string) {
  return {
    /** Presence hashes and sets: `{<prefix>…}` hash-tagged per room and node (presence's own module). */
    presence: prefix,
    /** Room channels `<prefix>:room:{<roomId>}`. */
    bus: prefix,
    /** Seq counters `<prefix>:seq:{<roomId>}`. */
    seq: prefix,
    /** One prefix per budget: `<prefix>:rl:<name>:<key>` (rate-limiter-flexible appends the key). */
    rateLimit: (name: string) => `${prefix}:rl:${name}`,
    /** socket.io's Redis adapter channels: `<prefix>:socket.io#…`. */
    socketIoAdapter: `${prefix}:socket.io`,
  };
}
