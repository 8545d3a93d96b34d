import dayjs from 'dayjs';
import type { ChatMessage, RoomView, UserView } from '@chat/protocol';
import type { RoomRecord, StoredMessage, UserRecord } from '@chat/store';

/** Wire times are ISO-8601 UTC; the store keeps epoch ms. */
export const isoTime = (ms: number): string => dayjs(ms).toISOString();

export function toChatMessage(m: StoredMessage): ChatMessage {
  const out: ChatMessage = {
    id: m.id,
    roomId: m.roomId,
    seq: m.seq,
    userId: m.userId,
    nickName: m.nickName,
    content: m.content,
    sentAt: isoTime(m.sentAt),
    kind: m.kind,
  };
  if (m.event) out.event = m.event;
  if (m.clientMsgId) out.clientMsgId = m.clientMsgId;
  return out;
}

export function toRoomView(room: RoomRecord, online: number): RoomView {
  return { id: room.id, name: room.name, createdAt: isoTime(room.createdAt), online, visibility: room.visibility };
}

export function toUserView(user: UserRecord, online: boolean): UserView {
  return { id: user.id, nickName: user.nickName, headNum: user.headNum, status: online ? 'online' : 'offline' };
}
