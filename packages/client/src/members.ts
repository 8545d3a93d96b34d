import type { Member, MembersDiff } from '@chat/protocol';

/**
 * A room's online members as the server last described them: a full
 * `members` list replaces it, a `members_diff` removes `left` and then adds
 * (or, for a user already listed, replaces) `joined`, keeping list order.
 */
export class MemberList {
  private byId = new Map<string, Member>();

  /** A full `members` list. */
  replace(members: readonly Member[]): void {
    this.byId = new Map(members.map((m) => [m.userId, m]));
  }

  /** A `members_diff`: apply `left`, then `joined`. */
  apply(diff: Pick<MembersDiff, 'left' | 'joined'>): void {
    for (const userId of diff.left) this.byId.delete(userId);
    // Map#set keeps an existing key's position: a member whose display info changed stays where it was.
    for (const m of diff.joined) this.byId.set(m.userId, m);
  }

  get list(): Member[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}

/** The list after a diff, as a pure function of both. */
export function applyMembersDiff(members: readonly Member[], diff: Pick<MembersDiff, 'left' | 'joined'>): Member[] {
  const list = new MemberList();
  list.replace(members);
  list.apply(diff);
  return list.list;
}
