import type { Member, SystemEvent } from '@chat/protocol';
import type { SessionClaims } from '@chat/auth';
import type { Departure, PresenceStore } from '@chat/presence';
import type { MessagePath } from './message-path';
import type { Outbox } from './outbox';
import { guardRedis } from './guards';

export interface RosterDeps {
  presence: PresenceStore;
  messages: MessagePath;
  outbox: Outbox;
  /**
   * Join and leave announcements are posted while the room has at most this
   * many online users (the joiner or leaver counted). In bigger rooms n joins
   * would cost n²/2 deliveries; their members learn who is online from the
   * coalesced `members` event instead. Default: no limit.
   */
  announceMaxMembers?: number;
  /** Announcing departures found in the background failed (logged by the caller). */
  onDeparturesFailed?: (err: unknown) => void;
}

/**
 * Who is in a room right now, and what the room hears of it: a user's first
 * connection in a room is a join (a stored system message and a members-changed
 * signal), its last one a leave, whether it closed, was left or was reaped
 * with a dead node.
 */
export function createRoster(deps: RosterDeps) {
  const { presence, messages, outbox } = deps;

  /** Whether a join or leave in a room that now has `online` users (the mover included) is announced. */
  async function announces(roomId: string, countMover: 0 | 1): Promise<boolean> {
    if (deps.announceMaxMembers === undefined) return true;
    const online = await guardRedis(() => presence.onlineCount(roomId));
    return online + countMover <= deps.announceMaxMembers;
  }

  async function announce(roomId: string, member: Member, event: SystemEvent): Promise<void> {
    const verb = event === 'join' ? 'joined' : 'left';
    await messages.post({ roomId, userId: member.userId, nickName: member.nickName, content: `${member.nickName} ${verb} the room`, kind: 'system', event });
  }

  async function announceDepartures(departures: Departure[]): Promise<void> {
    await Promise.all(
      departures.map(async (d) => {
        outbox.membersChanged(d.roomId);
        if (await announces(d.roomId, 1)) await announce(d.roomId, d.member, 'leave');
      }),
    );
  }

  // Departures found in the background (a dead node reaped, leaves retried after an outage)
  // and connections put back after Redis forgot this node change member lists too.
  presence.onDepartures((departures) => void announceDepartures(departures).catch((err: unknown) => deps.onDeparturesFailed?.(err)));
  presence.onRestored((roomIds) => roomIds.forEach((roomId) => outbox.membersChanged(roomId)));

  return {
    /** A connection is in the room: presence, and a join message when it is the user's first (in rooms up to `announceMaxMembers`). */
    async enter(roomId: string, who: SessionClaims, connId: string): Promise<void> {
      const member: Member = { userId: who.userId, nickName: who.nickName, headNum: who.headNum };
      const { firstForUser } = await guardRedis(() => presence.join(roomId, member, connId));
      if (!firstForUser) return;
      outbox.membersChanged(roomId);
      if (await announces(roomId, 0)) await announce(roomId, member, 'join');
    },

    /**
     * A connection left the room: presence, and a leave message when it was the user's last (in rooms
     * up to `announceMaxMembers`). `announce: false` undoes a join that was never announced.
     */
    async exit(roomId: string, userId: string, connId: string, opts: { announce?: boolean } = {}): Promise<void> {
      const { lastForUser, member } = await guardRedis(() => presence.leave(roomId, userId, connId));
      if (!lastForUser) return;
      outbox.membersChanged(roomId);
      if (opts.announce !== false && member && (await announces(roomId, 1))) await announce(roomId, member, 'leave');
    },

    members: (roomId: string): Promise<Member[]> => guardRedis(() => presence.members(roomId)),
    onlineCount: (roomId: string): Promise<number> => guardRedis(() => presence.onlineCount(roomId)),
    isOnline: (roomId: string, userId: string): Promise<boolean> => guardRedis(() => presence.isOnline(roomId, userId)),
    isUserOnline: (userId: string): Promise<boolean> => guardRedis(() => presence.isUserOnline(userId)),
  };
}

export type Roster = ReturnType<typeof createRoster>;
