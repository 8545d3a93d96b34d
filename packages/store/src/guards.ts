import { ChatError, type ErrorCode } from '@chat/protocol';

/**
 * Column widths of the schema, in characters (code points, as MySQL counts them).
 * Checked before writing because the dialects disagree on overflow: MySQL strict mode
 * rejects it, INSERT IGNORE would silently truncate it, and SQLite would store it whole.
 */
export const WIDTH = {
  id: 40,
  roomName: 64,
  nickName: 32,
  content: 4000,
  clientMsgId: 64,
} as const;

export function assertWidth(field: string, value: string, max: number, code: ErrorCode = 'bad_request'): void {
  // UTF-16 length is never below the code point count, so most strings skip the count.
  if (value.length <= max) return;
  let points = 0;
  for (const _ of value) {
    if (++points > max) throw new ChatError(code, `${field} is longer than ${max} characters.`);
  }
}
