import type { LeaveResult, PresenceBackend } from './backend';
import { nodeConnEntry, parseNodeConnEntry, roomConnEntry, userConnEntry, type ConnRef } from './codec';
import { createPresenceNode } from './node';
import type { PresenceMember, PresenceOptions, PresenceStore } from './types';

interface MemoryRoom {
  /** roomConnEntry(nodeId, connId, userId) */
  conns: Set<string>;
  /** Map order is first-join order, which members() returns. */
  users: Map<string, { member: PresenceMember; conns: number }>;
}

/**
 * What several in-process "nodes" share: the same indexes the Redis backend
 * keeps (see keys.ts), as plain maps.
 */
export interface MemoryPresenceState {
  readonly rooms: Map<string, MemoryRoom>;
  /** nodeId -> nodeConnEntry set */
  readonly nodeConns: Map<string, Set<string>>;
  /** userId -> userConnEntry set */
  readonly userConns: Map<string, Set<string>>;
  /** nodeId -> last heartbeat (ms, from the node's `now`) */
  readonly nodes: Map<string, number>;
}

export function createMemoryPresenceState(): MemoryPresenceState {
  return { rooms: new Map(), nodeConns: new Map(), userConns: new Map(), nodes: new Map() };
}

function addTo(index: Map<string, Set<string>>, key: string, entry: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(entry);
}

function removeFrom(index: Map<string, Set<string>>, key: string, entry: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(entry);
  if (set.size === 0) index.delete(key);
}

const copy = (m: PresenceMember): PresenceMember => ({ userId: m.userId, nickName: m.nickName, headNum: m.headNum });

/** The memory backend alone (tests wrap it to fail on demand). */
export function memoryBackend(state: MemoryPresenceState, now: () => number): PresenceBackend {
  return {
    async join(nodeId, roomId, member, connId) {
      // Same order as Redis (node index, user index, room) so both behave alike.
      addTo(state.nodeConns, nodeId, nodeConnEntry({ roomId, userId: member.userId, connId }));
      addTo(state.userConns, member.userId, userConnEntry(roomId, nodeId, connId));
      let room = state.rooms.get(roomId);
      if (!room) state.rooms.set(roomId, (room = { conns: new Set(), users: new Map() }));
      const entry = roomConnEntry(nodeId, connId, member.userId);
      if (room.conns.has(entry)) return false;
      room.conns.add(entry);
      const user = room.users.get(member.userId);
      if (user) {
        user.conns += 1;
        user.member = copy(member); // latest join's display info wins, as in Redis
        return false;
      }
      room.users.set(member.userId, { member: copy(member), conns: 1 });
      return true;
    },
    async leave(nodeId, roomId, userId, connId): Promise<LeaveResult> {
      let result: LeaveResult = { removed: false, last: false };
      const room = state.rooms.get(roomId);
      if (room && room.conns.delete(roomConnEntry(nodeId, connId, userId))) {
        const user = room.users.get(userId);
        if (user) {
          user.conns -= 1;
          const last = user.conns <= 0;
          if (last) room.users.delete(userId);
          result = { removed: true, last, member: copy(user.member) };
        } else {
          result = { removed: true, last: true };
        }
        if (room.conns.size === 0) state.rooms.delete(roomId);
      }
      removeFrom(state.userConns, userId, userConnEntry(roomId, nodeId, connId));
      removeFrom(state.nodeConns, nodeId, nodeConnEntry({ roomId, userId, connId }));
      return result;
    },
    async members(roomId) {
      return [...(state.rooms.get(roomId)?.users.values() ?? [])].map((u) => copy(u.member));
    },
    async isOnline(roomId, userId) {
      return state.rooms.get(roomId)?.users.has(userId) ?? false;
    },
    async onlineCount(roomId) {
      return state.rooms.get(roomId)?.users.size ?? 0;
    },
    async isUserOnline(userId) {
      return (state.userConns.get(userId)?.size ?? 0) > 0;
    },
    async heartbeat(nodeId) {
      const known = state.nodes.has(nodeId);
      state.nodes.set(nodeId, now());
      return known;
    },
    async expiredNodes(ttlMs) {
      const cutoff = now() - ttlMs;
      return [...state.nodes].filter(([, beat]) => beat < cutoff).map(([id]) => id);
    },
    async nodeConnections(nodeId) {
      const refs: ConnRef[] = [];
      for (const entry of state.nodeConns.get(nodeId) ?? []) {
        const ref = parseNodeConnEntry(entry);
        if (ref) refs.push(ref);
      }
      return refs;
    },
    async forgetNode(nodeId, ttlMs) {
      const beat = state.nodes.get(nodeId);
      if (beat !== undefined && beat < now() - ttlMs) state.nodes.delete(nodeId);
    },
  };
}

/**
 * The embedded twin of the Redis presence store. Stores created over one
 * shared `state` behave as nodes of one cluster (heartbeats, reaping), which
 * is how the contract suite exercises multi-node behaviour in one process.
 */
export function createMemoryPresence(opts: PresenceOptions & { state?: MemoryPresenceState; now?: () => number }): PresenceStore {
  const { state = createMemoryPresenceState(), now = Date.now, ...options } = opts;
  return createPresenceNode(memoryBackend(state, now), options);
}
