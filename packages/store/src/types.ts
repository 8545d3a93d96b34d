import type { MessageKind, SystemEvent } from '@chat/protocol';

/** Times are epoch milliseconds (UTC by definition). */
export type RoomVisibility = 'public' | 'private';

export interface RoomRecord {
  id: string;
  name: string;
  status: 'active' | 'inactive';
  createdAt: number;
  visibility: RoomVisibility;
  /** Who created it through `POST /api/v1/rooms`; absent for rooms created by a session. */
  ownerId?: string;
}

/** A guest (nickName, unique) or a user an app vouches for (display name, not unique). */
export interface UserRecord {
  id: string;
  nickName: string;
  headNum: number;
  createdAt: number;
  updatedAt: number;
}

/** A guest as the session path sees it: with the hash of its key, absent for users from before keys. */
export interface GuestRecord extends UserRecord {
  keyHash?: string;
}

export interface StoredMessage {
  id: string;
  roomId: string;
  seq: number;
  userId: string;
  nickName: string;
  content: string;
  kind: MessageKind;
  event?: SystemEvent;
  clientMsgId?: string;
  sentAt: number;
}

export interface HistoryQuery {
  /** Only messages with seq below this; the newest of all when absent. */
  before?: number;
  /** Only messages with seq above this, oldest first (forward paging); not with `before`. */
  after?: number;
  limit: number;
}

export interface StoredPage {
  /** Oldest first. */
  messages: StoredMessage[];
  hasMore: boolean;
}

/**
 * The durable store of rooms, users, memberships and messages.
 * One implementation on knex serves MySQL (production) and SQLite (embedded, tests).
 */
export interface ChatStore {
  /** The room with this name, created (public) if new and reactivated if inactive. Same name, same id, also under concurrency. */
  upsertRoom(name: string, now: number): Promise<RoomRecord>;
  findRoomByName(name: string): Promise<RoomRecord | undefined>;
  /** Creates a room with an owner; `created: false` (and the existing room) when the name is taken. */
  createRoom(name: string, opts: { visibility: RoomVisibility; ownerId: string }, now: number): Promise<{ room: RoomRecord; created: boolean }>;
  /** The owner of a private room lets a user in (idempotent). */
  addGrant(roomId: string, userId: string, now: number): Promise<void>;
  /** Takes a user's grant back; false when there was none. */
  removeGrant(roomId: string, userId: string): Promise<boolean>;
  hasGrant(roomId: string, userId: string): Promise<boolean>;
  findGuestByNick(nickName: string): Promise<GuestRecord | undefined>;
  /**
   * Creates a guest holding the key whose hash is given. Under a race for one
   * nickName exactly one caller gets `created: true`; the others get the winner.
   */
  createGuest(nickName: string, headNum: number, keyHash: string, now: number): Promise<{ guest: GuestRecord; created: boolean }>;
  /** Gives a guest from before keys its key; false when it already had one (someone else was first). */
  setGuestKeyIfMissing(userId: string, keyHash: string, now: number): Promise<boolean>;
  setGuestHeadNum(userId: string, headNum: number, now: number): Promise<void>;
  /** Records (or refreshes) a user an app vouches for, by its derived id. */
  upsertAppUser(user: { id: string; nickName: string; headNum: number }, now: number): Promise<UserRecord>;
  /** Records that the user has entered the room (idempotent). */
  addMembership(roomId: string, userId: string, now: number): Promise<void>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  getRoom(id: string): Promise<RoomRecord | undefined>;
  getUser(id: string): Promise<UserRecord | undefined>;
  countRooms(): Promise<number>;
  /**
   * Stores a batch in one multi-row insert inside one transaction: all or nothing.
   * Fails when a (roomId, seq) or (roomId, userId, clientMsgId) already exists.
   */
  appendMessages(batch: readonly StoredMessage[]): Promise<void>;
  findByClientMsgId(roomId: string, userId: string, clientMsgId: string): Promise<StoredMessage | undefined>;
  /** The newest `limit` messages below `before`, or the oldest `limit` above `after`; returned oldest first. */
  history(roomId: string, query: HistoryQuery): Promise<StoredPage>;
  /** Messages with afterSeq < seq <= uptoSeq, oldest first (gap filling). */
  range(roomId: string, afterSeq: number, uptoSeq: number): Promise<StoredMessage[]>;
  /** Highest stored seq of the room, 0 when it has none. */
  maxSeq(roomId: string): Promise<number>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
}
