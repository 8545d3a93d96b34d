import type { z } from 'zod';
import { ChatError } from './errors';
import { LIMITS } from './limits';
import { isWellFormedText } from './names';

/** Validate untrusted input; a failure becomes `bad_request` naming the first bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new ChatError('bad_request', `${where}${issue?.message ?? 'invalid input'}`);
}

/**
 * Message content beyond its type: at most `LIMITS.contentMax` characters
 * (`too_large`, so a client can tell it apart from a malformed request), and
 * well-formed Unicode (a lone surrogate would come back from the store as
 * U+FFFD, not the text that was acked).
 */
export function assertContent(content: string): void {
  if (content.length > LIMITS.contentMax && [...content].length > LIMITS.contentMax) {
    throw new ChatError('too_large', `content must be at most ${LIMITS.contentMax} characters`);
  }
  if (!isWellFormedText(content)) throw new ChatError('bad_request', 'content: must be well-formed Unicode');
}
