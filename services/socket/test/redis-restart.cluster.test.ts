import Redis from 'ioredis';
import { startRedisServer } from '@chat/devcluster';
import type { RedisServerHandle } from '@chat/devcluster';
import type { ChatMessage } from '@chat/protocol';
import { request, waitUntil } from '@chat/testkit';
import type { TestClient } from '@chat/testkit';
import { startLocalInProcessNodes } from './in-process-nodes';
import type { InProcessNodes } from './in-process-nodes';

// A real Redis restart without persistence under two socket nodes: every key,
// subscription and cached script is gone. Afterwards the nodes must reconnect,
// take sends again, carry messages between them again (their room channels
// re-subscribed) and show their still-connected users online again.
jest.setTimeout(60_000);

let redis: RedisServerHandle;
let nodes: InProcessNodes;

beforeAll(async () => {
  redis = await startRedisServer();
  nodes = await startLocalInProcessNodes('redisrestart', {
    REDIS_URL: redis.url,
    LOG_LEVEL: 'fatal',
    PRESENCE_HEARTBEAT_MS: '200',
    PRESENCE_NODE_TTL_MS: '1000',
  });
}, 60_000);

afterAll(async () => {
  await nodes?.close();
  await redis?.stop();
}, 60_000);

/** Sends with a clientMsgId until one is acked: sends fail with `unavailable` while Redis is away. */
async function sendUntilAcked(c: TestClient, roomId: string, content: string): Promise<ChatMessage> {
  const clientMsgId = `${content}-id`;
  return waitUntil(
    async () => {
      const ack = await c.request<{ message: ChatMessage }>('message', { roomId, content, clientMsgId }, 2000).catch(() => undefined);
      return ack?.ok ? ack.message : undefined;
    },
    { timeoutMs: 20_000, what: `an ack for "${content}"` },
  );
}

test('after a Redis restart the nodes take sends, carry messages between them and show their users online again', async () => {
  const { sa, sb, a, b } = await nodes.pairAcrossNodes();
  const before = await sendUntilAcked(a, sa.roomId, 'before');
  await b.waitForMessage((m) => m.id === before.id, 'a message before the restart');

  // A marker only this test writes: the nodes may write their own keys again as soon as Redis is back,
  // so an empty database is a race, while the marker's absence shows the restart lost the data.
  const probe = new Redis(redis.url);
  try {
    await probe.set('restart-marker', '1');
    await redis.restart();
    expect(await probe.exists('restart-marker')).toBe(0);
  } finally {
    await probe.quit();
  }

  const after = await sendUntilAcked(a, sa.roomId, 'after');
  await b.waitForMessage((m) => m.id === after.id, 'a message from node 1 after the restart', 10_000);
  const reply = await sendUntilAcked(b, sb.roomId, 'reply');
  await a.waitForMessage((m) => m.id === reply.id, 'a message from node 2 after the restart', 10_000);
  // The seq counter was re-seeded from the store: no seq handed out twice.
  expect(after.seq).toBeGreaterThan(before.seq);
  expect(reply.seq).toBeGreaterThan(after.seq);

  const online = async () => (await request(nodes.api.url, 'GET', `/api/v1/rooms/${sa.roomId}`)).body.online as number;
  await waitUntil(async () => (await online()) === 2, { timeoutMs: 10_000, what: 'both users online again' });
});
