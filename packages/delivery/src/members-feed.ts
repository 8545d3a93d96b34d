import type { Member, MembersDiff } from '@chat/protocol';

/** What one `members` tick sends in a room. */
export interface MembersPlan {
  /** Everyone in the room gets the full list (small rooms, or this node's first list of a big one). */
  fullToAll: boolean;
  /** Otherwise: sockets that joined since the last tick get the full list... */
  fullTo: string[];
  /** ...and everyone else the changes, when there are any. */
  diff?: MembersDiff;
}

export interface MembersFeed {
  socketJoined(roomId: string, socketId: string): void;
  socketLeft(roomId: string, socketId: string): void;
  /** Decides a tick's frames from the room's current members; call it right before emitting. */
  next(roomId: string, members: Member[]): MembersPlan;
  /** The node's last socket left the room. */
  forget(roomId: string): void;
}

interface RoomFeed {
  /** The list every socket of the room (except `fresh`) holds after the last tick. */
  snapshot?: Map<string, Member>;
  /** Sockets that joined since the last tick and hold no list yet. */
  fresh: Set<string>;
}

/**
 * `members` frames cost (sockets) x (members) bytes, so in a room of n members a
 * full list per tick is O(n²) bytes however rarely it goes out. Up to
 * `fullListMax` members every socket gets the full list (the original contract);
 * above it a socket gets the full list once, at the first tick after it joins,
 * and from then on only what changed (`members_diff`), so a join storm costs
 * each member its own list plus the joins since.
 */
export function createMembersFeed(opts: { fullListMax: number }): MembersFeed {
  const rooms = new Map<string, RoomFeed>();
  const feedOf = (roomId: string): RoomFeed => {
    let feed = rooms.get(roomId);
    if (!feed) rooms.set(roomId, (feed = { fresh: new Set() }));
    return feed;
  };
  return {
    socketJoined: (roomId, socketId) => void feedOf(roomId).fresh.add(socketId),
    socketLeft: (roomId, socketId) => void rooms.get(roomId)?.fresh.delete(socketId),
    next(roomId, members) {
      const feed = feedOf(roomId);
      const previous = feed.snapshot;
      const fresh = [...feed.fresh];
      feed.fresh.clear();
      feed.snapshot = new Map(members.map((m) => [m.userId, m]));
      if (members.length <= opts.fullListMax || !previous) return { fullToAll: true, fullTo: [] };
      const diff = diffMembers(previous, members);
      const changed = diff.joined.length > 0 || diff.left.length > 0;
      return { fullToAll: false, fullTo: fresh, ...(changed ? { diff: { roomId, ...diff, count: members.length } } : {}) };
    },
    forget: (roomId) => void rooms.delete(roomId),
  };
}

/** Members added or whose display info changed, and user ids gone, from `before` to `after`. */
export function diffMembers(before: ReadonlyMap<string, Member>, after: readonly Member[]): { joined: Member[]; left: string[] } {
  const joined: Member[] = [];
  const present = new Set<string>();
  for (const m of after) {
    present.add(m.userId);
    const old = before.get(m.userId);
    if (!old || old.nickName !== m.nickName || old.headNum !== m.headNum) joined.push(m);
  }
  const left = [...before.keys()].filter((userId) => !present.has(userId));
  return { joined, left };
}
