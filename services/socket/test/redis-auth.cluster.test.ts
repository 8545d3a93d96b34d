import Redis from 'ioredis';
import { startRedisServer } from '@chat/devcluster';
import type { RedisServerHandle } from '@chat/devcluster';
import { request, waitUntil } from '@chat/testkit';
import { startLocalInProcessNodes } from './in-process-nodes';

// Redis with an ACL user and password and no anonymous access: the nodes
// authenticate with REDIS_USERNAME and REDIS_PASSWORD (for REDIS_URL as for
// REDIS_CLUSTER_NODES), and a node without them never reports ready.
jest.setTimeout(60_000);

let redis: RedisServerHandle;

beforeAll(async () => {
  redis = await startRedisServer();
  const admin = new Redis(redis.url);
  await admin.call('ACL', 'SETUSER', 'chat', 'on', '>s3cret-pass', '~*', '&*', '+@all');
  await admin.call('ACL', 'SETUSER', 'default', 'off');
  admin.disconnect();
}, 30_000);

afterAll(async () => {
  await redis?.stop();
});

test('nodes with the user and password serve; anonymous access is refused by Redis itself', async () => {
  const nodes = await startLocalInProcessNodes('redisauth', {
    REDIS_URL: redis.url,
    REDIS_USERNAME: 'chat',
    REDIS_PASSWORD: 's3cret-pass',
    LOG_LEVEL: 'silent',
  });
  try {
    expect((await request(nodes.s1.url, 'GET', '/readyz')).status).toBe(200);
    const { sa, a, b } = await nodes.pairAcrossNodes();
    const sent = await a.request('message', { roomId: sa.roomId, content: 'through an authenticated Redis' });
    expect(sent.ok).toBe(true);
    await b.waitForMessage((m) => m.content === 'through an authenticated Redis', 'delivery across nodes');
    const anonymous = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    const refusal = await new Promise<Error>((resolve) => anonymous.once('error', resolve));
    anonymous.disconnect();
    expect(refusal.message).toMatch(/NOAUTH/);
  } finally {
    await nodes.close();
  }
});

test('a node without the password is never ready', async () => {
  const nodes = await startLocalInProcessNodes('redisnoauth', { REDIS_URL: redis.url, LOG_LEVEL: 'silent' });
  try {
    await waitUntil(async () => (await request(nodes.s1.url, 'GET', '/readyz')).status === 503, { what: 'not ready', timeoutMs: 10_000 });
  } finally {
    await nodes.close().catch(() => undefined);
  }
});
