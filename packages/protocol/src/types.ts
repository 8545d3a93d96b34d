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

export interface RoomView {
  id: string;
  name: string;
  createdAt: string;
  online: number;
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
}

export interface HistoryPage {
  messages: ChatMessage[];
  hasMore: boolean;
}
