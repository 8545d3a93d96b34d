/** Shapes that travel on the wire. Times are ISO-8601 UTC strings. */

export type MessageKind = 'user' | 'system';
export type SystemEvent = 'join' | 'leave';

export interface ChatMessage {
  id: string;
  roomId: string;
  /** Per-room sequence number: grows by one with every stored message of the room. */
  seq: number;
  userId: string;
  nickName: string;
  content: string;
  sentAt: string;
  kind: MessageKind;
  event?: SystemEvent;
  clientMsgId?: string;
}

export interface Member {
  userId: string;
  nickName: string;
  headNum: number;
}

export interface MembersUpdate {
  roomId: string;
  members: Member[];
}

/**
 * What changed in a big room's member list since the last `members` or
 * `members_diff` the socket received: apply `left`, then `joined`.
 * `count` is the number of online members after the change.
 */
export interface MembersDiff {
  roomId: string;
  joined: Member[];
  left: string[];
  count: number;
}

/**
 * Server -> client, for sockets that chose `delivery: 'batch'` in the handshake:
 * consecutive messages of one room in seq order, in place of one `message`
 * event each. A batching socket gets every message of its rooms this way, never as `message`.
 */
export interface MessageBatch {
  roomId: string;
  messages: ChatMessage[];
}

export type RoomVisibility = 'public' | 'private';

export interface RoomView {
  id: string;
  name: string;
  createdAt: string;
  online: number;
  /** Private rooms are seen only by their owner, the users the owner added and app users whose token names them. */
  visibility: RoomVisibility;
}

export interface UserView {
  id: string;
  nickName: string;
  headNum: number;
  status: 'online' | 'offline';
}

export interface SessionView {
  token: string;
  userId: string;
  roomId: string;
  nickName: string;
  chatroomName: string;
  headNum: number;
  /**
   * Only in the answer that created the nickName (or gave a pre-existing one its key):
   * the secret that proves the nickName is yours in later sessions. Keep it; it is not shown again.
   */
  userKey?: string;
}

/** `POST /api/v1/sessions/exchange`: a chat session for a user the app vouches for. */
export interface AppSessionView {
  token: string;
  userId: string;
  nickName: string;
  headNum: number;
}

export interface HistoryPage {
  messages: ChatMessage[];
  hasMore: boolean;
}
