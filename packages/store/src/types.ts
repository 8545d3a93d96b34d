import type { MessageKind, SystemEvent } from '@chat/protocol';

/** Times are epoch milliseconds (UTC by definition). */
export interface RoomRecord {
  id: string;
  name: string;
  status: 'active' | 'inactive';
  createdAt: number;
}

export interface UserRecord {
  id: string;
  nickName: string;
  headNum: number;
  createdAt: number;
  updatedAt: number;
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
  /** The room with this name, created if new and reactivated if inactive. Same name, same id, also under concurrency. */
  upsertRoom(name: string, now: number): Promise<RoomRecord>;
  /** The user with this nick name, created if new; `headNum` updates it when given (new users default to 0). */
  upsertUser(nickName: string, headNum: number | undefined, now: number): Promise<UserRecord>;
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
  /** The newest `limit` messages below `before`, returned oldest first. */
  history(roomId: string, query: HistoryQuery): Promise<StoredPage>;
  /** Messages with afterSeq < seq <= uptoSeq, oldest first (gap filling). */
  range(roomId: string, afterSeq: number, uptoSeq: number): Promise<StoredMessage[]>;
  /** Highest stored seq of the room, 0 when it has none. */
  maxSeq(roomId: string): Promise<number>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
}
