import type { ChatMessage } from '@chat/protocol';

export function msg(roomId: string, seq: number, content = `m${seq}`): ChatMessage {
  return {
    id: `${roomId}-${seq}`,
    roomId,
    seq,
    userId: 'u1',
    nickName: 'Ann',
    content,
    sentAt: new Date(0).toISOString(),
    kind: 'user',
  };
}
