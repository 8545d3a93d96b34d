import Redis from 'ioredis';
import { startRedisServer } from '@chat/devcluster';
import type { RedisServerHandle } from '@chat/devcluster';
import type { ChatMessage } from '@chat/protocol';
import { waitUntil } from '@chat/testkit';
import { startLocalInProcessNodes } from './in-process-nodes';
import type { InProcessNodes } from './in-process-nodes';
import { scrapeCounter } from './metrics';

// A message stored while Redis refuses its publish must still reach the
// room's members on other nodes once Redis takes it, even if nothing else is
// said in the room (nothing would open a gap for in-order delivery to fill).
// Redis is a private one: the test takes the publish permission away.
jest.setTimeout(60_000);

let redis: RedisServerHandle;
let admin: Redis;
let nodes: InProcessNodes;

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url);
  nodes = await startLocalInProcessNodes('pubretry', { REDIS_URL: redis.url, LOG_LEVEL: 'error' });
}, 60_000);

afterAll(async () => {
  await nodes?.close();
  await admin?.quit();
  await redis?.stop();
}, 60_000);

test('a message stored while Redis refused its publish reaches the other node once Redis takes it', async () => {
  const { sa, a, b } = await nodes.pairAcrossNodes();

  const redisErrors = () => scrapeCounter(nodes.s1.metricsUrl, 'chat_redis_errors_total');
  const errorsBefore = await redisErrors();
  await admin.call('ACL', 'SETUSER', 'default', '-spublish');
  const ack = await a.request<{ message: ChatMessage }>('message', { roomId: sa.roomId, content: 'stored while Redis refused the publish' });
  expect(ack).toMatchObject({ ok: true });
  const sent = (ack as { message: ChatMessage }).message;
  // Its sender's node delivers it without Redis...
  await a.waitForMessage((m) => m.id === sent.id, 'the message on its own node');
  // ...and has tried to publish it and been refused (a refused publish counts as a Redis error):
  // only now does "the other node has not got it" say anything.
  await waitUntil(async () => (await redisErrors()) > errorsBefore, { timeoutMs: 10_000, what: 'the publish tried and refused' });
  expect(b.messages.some((m) => m.id === sent.id)).toBe(false);

  await admin.call('ACL', 'SETUSER', 'default', '+spublish');
  const got = await b.waitForMessage((m) => m.id === sent.id, 'the message on the other node once Redis takes it', 10_000);
  expect(got.seq).toBe(sent.seq);
});
