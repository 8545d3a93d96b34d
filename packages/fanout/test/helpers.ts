import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '@chat/protocol';

export function uid(label: string): string {
  return `${label}-${randomUUID()}`;
}

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

/** Polls `check` until it is true or the deadline passes (no fixed sleeps). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
