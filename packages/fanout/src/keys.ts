/**
 * Every Redis key and channel name of this package. Room names sit inside a
 * `{hash tag}` so that all of a room's keys and its channel land on one
 * Cluster slot (one shard), whatever the prefix.
 */

export const DEFAULT_PREFIX = 'chat';

/** Sharded pub/sub channel of one room: `<prefix>:room:{<roomId>}`. */
export function roomChannel(prefix: string, roomId: string): string {
  return `${prefix}:room:{${roomId}}`;
}

/** The room's seq counter: holds the last seq handed out. */
export function seqKey(prefix: string, roomId: string): string {
  return `${prefix}:seq:{${roomId}}`;
}
