import { ChatError } from '@chat/protocol';
import type { CreateRoomRequest } from '@chat/protocol';
import type { SessionClaims } from '@chat/auth';
import type { ChatStore, RoomRecord } from '@chat/store';
import { guardStore } from './guards';

/** Who asks: a verified session, or nobody (public REST reads without a token). */
export type Caller = SessionClaims | undefined;

/**
 * Who may see and enter which room. Public rooms: everyone. A private room:
 * its owner, the users the owner added (grants), and app users whose token's
 * `rooms` claim names it. Everyone else is told the room does not exist
 * (`not_found`), so a private room's existence does not leak; `forbidden` is
 * for a caller who can see the room but may not change it.
 */
export function createRoomAccess(deps: { store: ChatStore; now: () => number }) {
  const { store, now } = deps;

  async function requireRoom(roomId: string): Promise<RoomRecord> {
    const room = await guardStore(() => store.getRoom(roomId));
    if (!room) throw new ChatError('not_found', 'No such room.');
    return room;
  }

  async function mayEnter(room: RoomRecord, who: Caller): Promise<boolean> {
    if (room.visibility === 'public') return true;
    if (!who) return false;
    if (room.ownerId === who.userId) return true;
    if (who.kind === 'app' && who.rooms?.includes(room.name)) return true;
    return guardStore(() => store.hasGrant(room.id, who.userId));
  }

  /** The room, if the caller may see it; `not_found` otherwise (also for a private room it may not enter). */
  async function requireVisible(roomId: string, who: Caller): Promise<RoomRecord> {
    const room = await requireRoom(roomId);
    if (!(await mayEnter(room, who))) throw new ChatError('not_found', 'No such room.');
    return room;
  }

  /** The room, if the caller owns it; `forbidden` when it can see it but is not its owner. */
  async function requireOwned(roomId: string, who: SessionClaims): Promise<RoomRecord> {
    const room = await requireVisible(roomId, who);
    if (room.ownerId !== who.userId) throw new ChatError('forbidden', 'Only the owner of the room may change who is in it.');
    return room;
  }

  return {
    requireRoom,
    requireVisible,
    mayEnter,

    async createRoom(who: SessionClaims, req: CreateRoomRequest): Promise<RoomRecord> {
      const { room, created } = await guardStore(() => store.createRoom(req.name, { visibility: req.visibility, ownerId: who.userId }, now()));
      if (!created) throw new ChatError('name_taken', 'A room with that name exists.');
      await guardStore(() => store.addMembership(room.id, who.userId, now()));
      return room;
    },

    /** The owner lets a user into its private room (idempotent). */
    async grant(who: SessionClaims, roomId: string, userId: string): Promise<void> {
      const room = await requireOwned(roomId, who);
      if (room.visibility !== 'private') throw new ChatError('bad_request', 'Anyone may enter a public room; only private rooms have members to add.');
      if (!(await guardStore(() => store.getUser(userId)))) throw new ChatError('not_found', 'No such user.');
      await guardStore(() => store.addGrant(room.id, userId, now()));
    },

    /** The owner takes a user's access back; true when the user had been added. */
    async revoke(who: SessionClaims, roomId: string, userId: string): Promise<boolean> {
      const room = await requireOwned(roomId, who);
      return guardStore(() => store.removeGrant(room.id, userId));
    },
  };
}

export type RoomAccess = ReturnType<typeof createRoomAccess>;
