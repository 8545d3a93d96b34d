/**
 * Every Redis key name of the presence store, built here and nowhere else.
 *
 * The deployment's one convention (packages/runtime/src/redis-keys.ts):
 * `<prefix>:<kind>:{<id>}:<what>`, the id in braces, so everything of one room
 * (its presence, its seq counter, its bus channel) hashes to one Cluster slot,
 * and each group of keys one Lua script touches shares its tag:
 *   P:room:{<roomId>}:conns   SET   connections in the room, JSON [nodeId, connId, userId]
 *   P:room:{<roomId>}:users   HASH  userId -> JSON {nickName, headNum, conns, seq}
 *   P:room:{<roomId>}:seq     STRING counter giving each user's first-join order
 *   P:node:{<nodeId>}:conns   SET   connections the node owns, JSON [roomId, userId, connId]
 *   P:user:{<userId>}:conns   SET   the user's connections, JSON [roomId, nodeId, connId]
 *   P:nodes                   ZSET  nodeId -> last heartbeat, Redis server time in ms
 * The prefix may contain no braces, so the id's braces are always the tag.
 */
export const DEFAULT_KEY_PREFIX = 'chat:presence';

export interface PresenceKeys {
  nodes: string;
  roomConns(roomId: string): string;
  roomUsers(roomId: string): string;
  roomSeq(roomId: string): string;
  nodeConns(nodeId: string): string;
  userConns(userId: string): string;
}

export function presenceKeys(prefix: string = DEFAULT_KEY_PREFIX): PresenceKeys {
  // A brace in the prefix would move the hash tag and split a script's keys across slots.
  if (prefix === '' || /[{}]/.test(prefix)) {
    throw new RangeError('presence: keyPrefix must be non-empty and contain no braces');
  }
  const room = (roomId: string) => `${prefix}:room:{${roomId}}`;
  return {
    nodes: `${prefix}:nodes`,
    roomConns: (roomId) => `${room(roomId)}:conns`,
    roomUsers: (roomId) => `${room(roomId)}:users`,
    roomSeq: (roomId) => `${room(roomId)}:seq`,
    nodeConns: (nodeId) => `${prefix}:node:{${nodeId}}:conns`,
    userConns: (userId) => `${prefix}:user:{${userId}}:conns`,
  };
}
