import type { ChatMessage } from '@chat/protocol';

/** A well-formed message of `roomId` with this seq, for tests of what carries and orders messages. */
export function fakeMessage(roomId: string, seq: number, content = `m${seq}`): ChatMessage {
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
