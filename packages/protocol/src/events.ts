import type { ErrorBody } from './errors';
import type { ChatMessage, HistoryPage, MembersDiff, MembersUpdate, MessageBatch } from './types';
import type { HistoryRequest, JoinRequest, RoomRef, SendMessageRequest } from './schemas';

/** Every client request is acknowledged with one of these. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ErrorBody };
export type AckFn<T extends object = object> = (reply: Ack<T>) => void;

export const EVENTS = {
  message: 'message',
  /** Server -> client, sockets with `delivery: 'batch'`: several messages of one room per frame. */
  messages: 'messages',
  members: 'members',
  /** Server -> client, rooms above the full-list size: changes since the socket's last list. */
  membersDiff: 'members_diff',
  history: 'history',
  join: 'join',
  leave: 'leave',
  /** Server -> client: an error for a request that carried no ack callback. */
  error: 'chat_error',
  /** Server -> client: the owner of a private room removed this user; the socket is no longer in the room. */
  removed: 'removed',
  /** Server -> client: a handshake with `roomId` and `afterSeq` replayed what the socket missed (or found too much to). */
  resumed: 'resumed',
} as const;

export interface ServerToClientEvents {
  message: (message: ChatMessage) => void;
  messages: (batch: MessageBatch) => void;
  members: (update: MembersUpdate) => void;
  members_diff: (diff: MembersDiff) => void;
  chat_error: (error: ErrorBody & { event: string }) => void;
  removed: (info: { roomId: string }) => void;
  resumed: (info: ResumeResult & { roomId: string }) => void;
}

/**
 * A join with `afterSeq`: `resumed` when every stored message after it was sent before the
 * live ones (no gap, no duplicate at the seam); false when there were more than RESUME_MAX,
 * none were sent, and the client pages forward with history. `newestSeq`: the newest seq the
 * socket has been handed (or, when not resumed, the newest it will get live after).
 */
export interface ResumeResult {
  resumed: boolean;
  newestSeq: number;
}

export interface ClientToServerEvents {
  message: (req: SendMessageRequest, ack: AckFn<{ message: ChatMessage }>) => void;
  history: (req: HistoryRequest, ack: AckFn<HistoryPage>) => void;
  join: (req: JoinRequest, ack: AckFn<Partial<ResumeResult>>) => void;
  leave: (req: RoomRef, ack: AckFn) => void;
}

export interface HandshakeAuth {
  token: string;
  roomId?: string;
  /** With `roomId`: replay the room's stored messages after this seq before live ones. */
  afterSeq?: number;
  /** `each` (default): one `message` event per message. `batch`: `messages` events, one frame per room per delivery window. */
  delivery?: 'each' | 'batch';
}

export const SOCKET_PATH = '/socket.io';
