import type { ChatMessage } from '@chat/protocol';

/** The payload of a members-changed signal: an object, where a batch is an array. */
export const MEMBERS_CHANGED_PAYLOAD = '{"membersChanged":true}';

const SKIPPED_PREFIX = '{"skipped":';

/** Seqs that will never be stored: an object, where a batch is an array. */
export function encodeSkipped(seqs: readonly number[]): string {
  return `${SKIPPED_PREFIX}${JSON.stringify(seqs)}}`;
}

/** The seqs of a skipped-seqs payload; undefined for any other payload; throws on a malformed one. */
export function decodeSkipped(payload: string): number[] | undefined {
  if (!payload.startsWith(SKIPPED_PREFIX)) return undefined;
  const seqs = (JSON.parse(payload) as { skipped?: unknown }).skipped;
  if (!Array.isArray(seqs) || seqs.length === 0 || !seqs.every((s) => Number.isSafeInteger(s) && (s as number) > 0)) {
    throw new Error('malformed skipped-seqs payload');
  }
  return seqs as number[];
}

/** One publish = one JSON array, so a batch arrives whole and in order. */
export function encodeBatch(messages: readonly ChatMessage[]): string {
  return JSON.stringify(messages);
}

/**
 * Parses a payload from the bus. Anything that is not an array of well-formed
 * messages of `roomId` throws: the caller drops the whole batch, because a
 * peer that sends garbage (or a different protocol version) must not reach
 * sockets half-understood.
 */
export function decodeBatch(payload: string, roomId: string): ChatMessage[] {
  const parsed: unknown = JSON.parse(payload);
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('bus payload is not a non-empty array');
  for (const item of parsed) {
    if (!isChatMessage(item) || item.roomId !== roomId) throw new Error(`malformed message on room ${roomId}`);
  }
  return parsed as ChatMessage[];
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
