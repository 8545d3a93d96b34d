import { z } from 'zod';

// Names are shown to other people, so what could make one name look like
// another, or hide or reorder text around it, is refused:
// - control characters (C0, DEL, C1, line and paragraph separators) break logs and terminals;
// - bidi controls (U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates) reorder what follows;
// - zero-width characters (U+200B-U+200D, U+2060, U+FEFF) make two names look the same;
// - lone surrogates are not text (MySQL would store them as U+FFFD, another name).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The reason a name is refused, or undefined when it is acceptable. */
export function nameProblem(name: string): string | undefined {
  if (CONTROL_CHARS.test(name)) return 'must not contain control characters';
  if (BIDI_CONTROLS.test(name)) return 'must not contain bidirectional control characters';
  if (ZERO_WIDTH.test(name)) return 'must not contain zero-width characters';
  if (LONE_SURROGATE.test(name)) return 'must be well-formed Unicode';
  return undefined;
}

/** True when the text has no lone surrogate (it survives a round trip through UTF-8 unchanged). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * A display name: NFC-normalised (so "é" typed two ways is one name), trimmed,
 * 1..max characters, and free of the characters above. Two names are the same
 * name when their normalised forms are equal.
 */
export const displayName = (max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.normalize('NFC') : v),
    z
      .string()
      // Before trimming: trim() would quietly drop a leading U+FEFF and let the name through.
      .superRefine((s, ctx) => {
        const problem = nameProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .transform((s) => s.trim())
      .pipe(z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`)),
  );
