import fs from 'node:fs';
import path from 'node:path';
import { run } from './repo';

/**
 * A throw-away self-signed certificate for `localhost` (chain and key in one
 * PEM, as HAProxy's `crt` wants it) written into `dir`; returns its path.
 */
export async function selfSignedPem(dir: string): Promise<string> {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const res = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
  if (res.missing) throw new Error('openssl is not installed (apt-get install -y openssl)');
  if (res.code !== 0) throw new Error(`openssl failed: ${res.stderr}`);
  const pem = path.join(dir, 'chat.pem');
  fs.writeFileSync(pem, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'));
  return pem;
}

/** A committed config with every `ssl crt <file>` pointed at `pem`, so `haproxy -c` can load it here. */
export function withCert(cfg: string, pem: string): string {
  return cfg.replace(/(\sssl crt )\S+/g, `$1${pem}`);
}
