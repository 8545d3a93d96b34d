import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WIRE_APP_JWT_SECRET, WIRE_ENV, WIRE_SERVER_API_KEY, tempMysqlDatabase } from '@chat/testkit';
import type { WireTarget } from '@chat/testkit';
import { startStandalone } from '../src';

export const TEST_SECRET = 'test-secret-'.padEnd(48, 'x');
const POINTS = 200;

/** The embedded server on port 0 with its own data folder (and optionally its own MySQL database). */
export async function embeddedTarget(opts: { mysql?: boolean; env?: Record<string, string> } = {}): Promise<WireTarget & { mysqlUrl?: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-embedded-'));
  const db = opts.mysql ? await tempMysqlDatabase('chat_wire') : undefined;
  const node = await startStandalone({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    TOKEN_SECRET: TEST_SECRET,
    ...WIRE_ENV,
    METRICS_PORT: '0',
    MESSAGE_RATE_LIMIT: `${POINTS}/10`,
    MEMBERS_INTERVAL_MS: '100',
    ...(db ? { MYSQL_URL: db.url } : {}),
    ...opts.env,
  });
  return {
    url: node.url,
    ...(db ? { mysqlUrl: db.url } : {}),
    tokenSecret: TEST_SECRET,
    messagePointsPerWindow: POINTS,
    metricsUrl: node.metricsUrl,
    appJwtSecret: WIRE_APP_JWT_SECRET,
    serverApiKey: WIRE_SERVER_API_KEY,
    async close() {
      await node.close();
      await db?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * An embedded server with these settings (on top of the wire defaults) for
 * the enclosing describe block; `url` is read once it is up.
 */
export function embeddedWith(env: Record<string, string>): { readonly url: string } {
  const box: { t?: WireTarget } = {};
  beforeAll(async () => {
    box.t = await embeddedTarget({ env });
  }, 60_000);
  afterAll(() => box.t?.close());
  return {
    get url() {
      if (!box.t) throw new Error('the embedded server is not up');
      return box.t.url;
    },
  };
}
