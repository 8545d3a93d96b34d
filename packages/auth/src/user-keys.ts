import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A guest's proof of its nickName: 32 random bytes, base64url, shown once.
 * Only its SHA-256 is stored: the key is high-entropy, so a fast hash is
 * enough (no one can try 2^256 candidates), and a leaked table reveals no key.
 */
export function newUserKey(): string {
  return randomBytes(32).toString('base64url');
}

export function hashUserKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Whether `key` is the one whose hash is stored; compares in constant time. */
export function userKeyMatches(key: string, storedHash: string): boolean {
  const given = Buffer.from(hashUserKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** Compares secrets (server API keys) in constant time, whatever their lengths. */
export function secretMatches(given: string, expected: readonly string[]): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const g = digest(given);
  let ok = false;
  // Every key is compared, so the time does not tell which one (or whether any) matched.
  for (const key of expected) ok = timingSafeEqual(g, digest(key)) || ok;
  return ok;
}
