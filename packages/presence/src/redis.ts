/**
 * Presence on Redis or Redis Cluster. Data model (key names in keys.ts, P = keyPrefix):
 *
 *   P:room:{<roomId>}:conns   SET    every connection in the room, JSON [nodeId, connId, userId]
 *   P:room:{<roomId>}:users   HASH   userId -> JSON {nickName, headNum, conns, seq}: display
 *                                    info, the user's connection count in the room, and the
 *                                    order of their first join (members() is one HGETALL)
 *   P:room:{<roomId>}:seq     STRING join counter feeding `seq`; deleted when the room empties
 *   P:user:{<userId>}:conns   SET    the user's connections, JSON [roomId, nodeId, connId]
 *                                    (isUserOnline is one EXISTS)
 *   P:node:{<nodeId>}:conns   SET    the node's connections, JSON [roomId, userId, connId]:
 *                                    what reaping and removeOwnConnections remove
 *   P:nodes                 ZSET   nodeId -> last heartbeat, Redis server time in ms
 *
 * Why a registry ZSET rather than heartbeat keys with a TTL: an expired key
 * vanishes, and survivors would then have to SCAN every node of the cluster
 * to discover orphaned node indexes. The ZSET answers "who is dead?" with one
 * range query, and a dead node stays listed until its index is drained, so a
 * reaper that crashes halfway leaves the work visible to the next one. Stamps
 * come from the Redis clock (TIME inside Lua), so node clocks need not agree.
 *
 * Atomicity: "first/last connection of this user in this room" is decided by
 * one Lua script over the room's keys (one hash slot), so concurrent tabs on
 * different nodes cannot both be first or both be last. The user and node
 * indexes live in other slots and are plain idempotent SADD/SREM, ordered so
 * that the node index is a superset of everything else at every step:
 *   join:  node index, user index, then room script
 *   leave: room script, user index, then node index
 * A node that dies between steps therefore leaves nothing that its node index
 * does not point to, and reaping removes it: no ghost survives a crash.
 */
import type { LeaveResult, PresenceBackend } from './backend';
import { nodeConnEntry, parseMemberRecord, parseNodeConnEntry, roomConnEntry, userConnEntry, type ConnRef } from './codec';
import { presenceKeys } from './keys';
import { createPresenceNode } from './node';
import { defineCommands, type RedisLike } from './scripts';
import type { PresenceMember, PresenceOptions, PresenceStore } from './types';

export type { RedisLike };

function redisBackend(client: RedisLike, keyPrefix: string | undefined): PresenceBackend {
  const redis = defineCommands(client);
  const k = presenceKeys(keyPrefix);

  return {
    async join(nodeId, roomId, member, connId) {
      const { userId } = member;
      await Promise.all([
        redis.sadd(k.nodeConns(nodeId), nodeConnEntry({ roomId, userId, connId })),
        redis.sadd(k.userConns(userId), userConnEntry(roomId, nodeId, connId)),
      ]);
      const first = await redis.chatPresenceJoin(
        k.roomConns(roomId),
        k.roomUsers(roomId),
        k.roomSeq(roomId),
        roomConnEntry(nodeId, connId, userId),
        userId,
        member.nickName,
        String(member.headNum),
      );
      return first === 1;
    },

    async leave(nodeId, roomId, userId, connId): Promise<LeaveResult> {
      const [removed, last, raw] = await redis.chatPresenceLeave(
        k.roomConns(roomId),
        k.roomUsers(roomId),
        k.roomSeq(roomId),
        roomConnEntry(nodeId, connId, userId),
        userId,
      );
      // Also when the room did not know the connection: this mops up a join
      // that failed halfway, and is a cheap no-op otherwise.
      await redis.srem(k.userConns(userId), userConnEntry(roomId, nodeId, connId));
      await redis.srem(k.nodeConns(nodeId), nodeConnEntry({ roomId, userId, connId }));
      if (removed !== 1) return { removed: false, last: false };
      const rec = raw ? parseMemberRecord(userId, raw) : null;
      const result: LeaveResult = { removed: true, last: last === 1 };
      if (rec) result.member = { userId, nickName: rec.nickName, headNum: rec.headNum };
      return result;
    },

    async members(roomId) {
      const all = await redis.hgetall(k.roomUsers(roomId));
      const list: (PresenceMember & { seq: number })[] = [];
      for (const [userId, raw] of Object.entries(all)) {
        const rec = parseMemberRecord(userId, raw);
        if (rec) list.push(rec);
      }
      list.sort((a, b) => a.seq - b.seq);
      return list.map(({ userId, nickName, headNum }) => ({ userId, nickName, headNum }));
    },

    async isOnline(roomId, userId) {
      return (await redis.hexists(k.roomUsers(roomId), userId)) === 1;
    },

    onlineCount: (roomId) => redis.hlen(k.roomUsers(roomId)),

    async isUserOnline(userId) {
      return (await redis.exists(k.userConns(userId))) === 1;
    },

    async heartbeat(nodeId) {
      return (await redis.chatPresenceHeartbeat(k.nodes, nodeId)) === 1;
    },

    expiredNodes: (ttlMs) => redis.chatPresenceExpired(k.nodes, String(ttlMs)),

    async nodeConnections(nodeId) {
      const refs: ConnRef[] = [];
      for (const entry of await redis.smembers(k.nodeConns(nodeId))) {
        const ref = parseNodeConnEntry(entry);
        if (ref) refs.push(ref);
      }
      return refs;
    },

    async forgetNode(nodeId, ttlMs) {
      await redis.chatPresenceForgetNode(k.nodes, nodeId, String(ttlMs));
    },
  };
}

/**
 * Presence shared by every node through Redis (standalone or Cluster). The
 * client is the caller's: close() stops this store's timers, never the client.
 */
export function createRedisPresence(redis: RedisLike, opts: PresenceOptions & { keyPrefix?: string }): PresenceStore {
  const { keyPrefix, ...options } = opts;
  return createPresenceNode(redisBackend(redis, keyPrefix), options);
}
