import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Embedded mode keeps a generated secret in the data folder so tokens survive
 * restarts. Cluster mode never gets here: it requires TOKEN_SECRET.
 */
export function loadOrCreateTokenSecret(dataDir: string): string {
  const file = path.join(dataDir, 'token-secret');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
