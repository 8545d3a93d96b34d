import type { ChatMessage } from '@chat/protocol';
import type { BusEvent } from './bus-events';

/**
 * The one wire format of the room bus. A batch of messages is a JSON array and
 * a signal is an object with one key (`membersChanged`, `skipped`, `revoked`);
 * the first three are the formats nodes of earlier versions send and read, so
 * old and new nodes share a channel during a rolling upgrade.
 */
export function encodeEvent(event: BusEvent): string {
  switch (event.kind) {
    case 'messages':
      return JSON.stringify(event.messages);
    case 'skipped':
      return JSON.stringify({ skipped: event.seqs });
    case 'membersChanged':
      return MEMBERS_CHANGED;
    case 'revoked':
      return JSON.stringify({ revoked: { userId: event.userId } });
  }
}

const MEMBERS_CHANGED = '{"membersChanged":true}';

/**
 * Parses a payload of `roomId`'s channel. Anything malformed throws: the
 * caller drops it whole, because a peer that sends garbage (or a protocol of
 * another version) must not reach sockets half-understood.
 */
export function decodeEvent(payload: string, roomId: string): BusEvent {
  if (payload === MEMBERS_CHANGED) return { kind: 'membersChanged' };
  const parsed: unknown = JSON.parse(payload);
  if (Array.isArray(parsed)) return { kind: 'messages', messages: decodeMessages(parsed, roomId) };
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`malformed bus payload on room ${roomId}`);
  const o = parsed as Record<string, unknown>;
  if ('skipped' in o) return { kind: 'skipped', seqs: decodeSeqs(o.skipped) };
  if ('revoked' in o) {
    const userId = (o.revoked as { userId?: unknown } | null)?.userId;
    if (typeof userId !== 'string' || userId.length === 0) throw new Error('malformed revoked payload');
    return { kind: 'revoked', userId };
  }
  throw new Error(`unknown bus payload on room ${roomId}`);
}

function decodeSeqs(seqs: unknown): number[] {
  if (!Array.isArray(seqs) || seqs.length === 0 || !seqs.every((s) => Number.isSafeInteger(s) && (s as number) > 0)) {
    throw new Error('malformed skipped-seqs payload');
  }
  return seqs as number[];
}

function decodeMessages(items: unknown[], roomId: string): ChatMessage[] {
  if (items.length === 0) throw new Error('bus payload is an empty batch');
  for (const item of items) {
    if (!isChatMessage(item) || item.roomId !== roomId) throw new Error(`malformed message on room ${roomId}`);
  }
  return items as ChatMessage[];
}

function isChatMessage(v: unknown): v is ChatMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.id === 'string' &&
    typeof m.roomId === 'string' &&
    Number.isSafeInteger(m.seq) &&
    typeof m.userId === 'string' &&
    typeof m.nickName === 'string' &&
    typeof m.content === 'string' &&
    typeof m.sentAt === 'string' &&
    (m.kind === 'user' || m.kind === 'system') &&
    (m.event === undefined || m.event === 'join' || m.event === 'leave') &&
    (m.clientMsgId === undefined || typeof m.clientMsgId === 'string')
  );
}
