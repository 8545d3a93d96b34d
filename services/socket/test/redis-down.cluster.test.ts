import { startRedisServer } from '@chat/devcluster';
import type { RedisServerHandle } from '@chat/devcluster';
import type { ChatMessage } from '@chat/protocol';
import { request, waitUntil } from '@chat/testkit';
import { startLocalInProcessNodes } from './in-process-nodes';
import type { InProcessNodes } from './in-process-nodes';

// Redis down under a running cluster (a private redis-server the test stops and
// starts again): no node reports ready, and sends are refused with
// `unavailable` rather than acked without a seq or hanging.
jest.setTimeout(180_000);

let redis: RedisServerHandle;
let nodes: InProcessNodes;

beforeAll(async () => {
  redis = await startRedisServer();
  nodes = await startLocalInProcessNodes('redisdown', { REDIS_URL: redis.url, LOG_LEVEL: 'fatal' });
}, 60_000);

afterAll(async () => {
  await nodes?.close();
  await redis?.stop();
}, 60_000);

test('with Redis down every node answers /readyz 503 and sends are refused with unavailable; both recover when it is back', async () => {
  const { sa, a, b } = await nodes.pairAcrossNodes();
  const urls = [nodes.api.url, nodes.s1.url, nodes.s2.url];
  const readiness = () => Promise.all(urls.map(async (url) => (await request(url, 'GET', '/readyz')).status));
  expect(await readiness()).toEqual([200, 200, 200]);

  // Down: the server this test started, ended by its pid (restart() below starts it again on the same port).
  process.kill(redis.pid, 'SIGKILL');
  try {
    // Each node asks Redis at most once a second.
    await waitUntil(async () => (await readiness()).every((s) => s === 503), { timeoutMs: 15_000, what: '/readyz 503 on every node' });
    // A send is refused within seconds: each Redis command of a node gives up after 3 s
    // (before, the client's reconnect retries held it for tens of seconds).
    const sent = await Promise.all(
      (
        [
          [a, 'socket-1'],
          [b, 'socket-2'],
        ] as const
      ).map(async ([client, node]) => ({
        node,
        ack: await client.request('message', { roomId: sa.roomId, content: `while Redis is down, from ${node}` }, 8_000),
      })),
    );
    const refused = { ok: false, error: { code: 'unavailable', message: expect.any(String) } };
    expect(sent).toEqual([
      { node: 'socket-1', ack: refused },
      { node: 'socket-2', ack: refused },
    ]);
  } finally {
    await redis.restart();
  }

  await waitUntil(async () => (await readiness()).every((s) => s === 200), { timeoutMs: 15_000, what: '/readyz 200 again' });
  const again = await waitUntil(
    async () => {
      const ack = await a
        .request<{ message: ChatMessage }>('message', { roomId: sa.roomId, content: 'Redis is back', clientMsgId: 'back' }, 5000)
        .catch(() => undefined);
      return ack?.ok ? ack.message : undefined;
    },
    { timeoutMs: 20_000, what: 'a send acked again' },
  );
  await b.waitForMessage((m) => m.id === again.id, 'the message across the nodes again', 10_000);
});
