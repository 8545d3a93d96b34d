/**
 * A cluster node (REDIS_URL set) must not start without TOKEN_SECRET: every
 * node has to verify every other node's tokens, so a secret of its own would
 * refuse them all. The real processes, as deployed (the built bundles; `pnpm
 * build` first): each exits non-zero and names the setting.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REDIS_URL, dropRedisKeys, randomSuffix, tempMysqlDatabase } from '@chat/testkit';

jest.setTimeout(60_000);

/** The repository root holding dist/ (or another build's, like the cluster suites). */
const ROOT = process.env.DEVCLUSTER_TEST_CWD ?? path.resolve(__dirname, '../../..');

/** Runs a bundle until it exits (killed after `timeoutMs`: then it started, which is the failure). */
function run(entry: string, env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, entry)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, killed });
    });
  });
}

describe.each(['dist/socket/main.js', 'dist/api/main.js'])('%s in cluster mode', (entry) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-token-secret-'));
  // Where a node that did start would write: a database and a key prefix of its own.
  const prefix = `t${randomSuffix()}`;
  let db: Awaited<ReturnType<typeof tempMysqlDatabase>>;
  beforeAll(async () => {
    db = await tempMysqlDatabase('chat_tokensecret');
  });
  afterAll(async () => {
    await db?.drop();
    await dropRedisKeys(REDIS_URL, prefix);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('refuses to start without TOKEN_SECRET: exits non-zero, naming it', async () => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      MYSQL_URL: db.url,
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    };
    const result = await run(entry, env);
    expect({ killed: result.killed, exitedNonZero: result.code !== 0 && result.code !== null }).toEqual({ killed: false, exitedNonZero: true });
    expect(result.output).toMatch(/TOKEN_SECRET/);
  });
});
