/**
 * Where every Redis key and channel of a deployment lives, under its
 * REDIS_KEY_PREFIX (P). One convention throughout: `P:<kind>:{<id>}[:<what>]`,
 * the id in braces, so that everything of one room (its presence keys, its
 * seq counter, its bus channel) hashes to one Redis Cluster slot and every
 * group of keys one Lua script touches shares its tag. Single keys used alone
 * (rate-limit counters, the heartbeat set) carry no tag. Each package builds
 * its own names below the prefix it is given here:
 *   P:room:{<roomId>}:conns|users|seq, P:node:{<nodeId>}:conns,
 *   P:user:{<userId>}:conns, P:nodes         presence (packages/presence/src/keys.ts)
 *   P:room:{<roomId>} (channel), P:seq:{<roomId>}   bus and seq (packages/fanout/src/keys.ts)
 *   P:rl:<budget>:<key>                      rate limits (rate-limiter-flexible appends the key)
 *   P:socket.io#…                            socket.io's Redis adapter channels
 */
export function redisKeys(prefix: string) {
  return {
    presence: prefix,
    bus: prefix,
    seq: prefix,
    rateLimit: (budget: string) => `${prefix}:rl:${budget}`,
    socketIoAdapter: `${prefix}:socket.io`,
  };
}
