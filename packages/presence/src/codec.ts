import type { PresenceMember } from './types';

/**
 * Encodings of one connection as it appears in each index. JSON arrays keep
 * them unambiguous whatever characters ids contain (no separator to escape).
 * Both backends use them, so the memory twin stores exactly what Redis does.
 */

/** One connection as seen from its node's index: enough to remove it everywhere. */
export interface ConnRef {
  roomId: string;
  userId: string;
  connId: string;
}

/** Member of a room's connection set. */
export function roomConnEntry(nodeId: string, connId: string, userId: string): string {
  return JSON.stringify([nodeId, connId, userId]);
}

/** Member of a node's connection index. */
export function nodeConnEntry(ref: ConnRef): string {
  return JSON.stringify([ref.roomId, ref.userId, ref.connId]);
}

/** Member of a user's connection index. */
export function userConnEntry(roomId: string, nodeId: string, connId: string): string {
  return JSON.stringify([roomId, nodeId, connId]);
}

/** Inverse of nodeConnEntry; null for anything this code did not write. */
export function parseNodeConnEntry(entry: string): ConnRef | null {
  try {
    const v: unknown = JSON.parse(entry);
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) {
      const [roomId, userId, connId] = v as [string, string, string];
      return { roomId, userId, connId };
    }
  } catch {
    // fall through: a foreign or corrupt entry is skipped, not fatal to reaping
  }
  return null;
}

/**
 * The per-user record kept in a room: display info, how many connections the
 * user has there, and `seq`, the order of the user's first connection.
 */
export interface MemberRecord {
  nickName: string;
  headNum: number;
  conns: number;
  seq: number;
}

export function parseMemberRecord(userId: string, raw: string): (PresenceMember & { seq: number }) | null {
  try {
    const v = JSON.parse(raw) as Partial<MemberRecord>;
    if (typeof v.nickName === 'string' && typeof v.headNum === 'number') {
      return { userId, nickName: v.nickName, headNum: v.headNum, seq: typeof v.seq === 'number' ? v.seq : 0 };
    }
  } catch {
    // fall through
  }
  return null;
}
