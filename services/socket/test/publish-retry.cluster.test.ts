import Redis from 'ioredis';
import { startRedisServer } from '@chat/devcluster';
import type { RedisServerHandle } from '@chat/devcluster';
import type { ChatMessage } from '@chat/protocol';
import { startLocalInProcessNodes } from './in-process-nodes';
import type { InProcessNodes } from './in-process-nodes';

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

  await admin.call('ACL', 'SETUSER', 'default', '-spublish');
  const ack = await a.request<{ message: ChatMessage }>('message', { roomId: sa.roomId, content: 'stored while Redis refused the publish' });
  expect(ack).toMatchObject({ ok: true });
  const sent = (ack as { message: ChatMessage }).message;
  // Its sender's node delivers it without Redis; the other node cannot have it.
  await a.waitForMessage((m) => m.id === sent.id, 'the message on its own node');
  expect(b.messages.some((m) => m.id === sent.id)).toBe(false);

  await admin.call('ACL', 'SETUSER', 'default', '+spublish');
  const got = await b.waitForMessage((m) => m.id === sent.id, 'the message on the other node once Redis takes it', 10_000);
  expect(got.seq).toBe(sent.seq);
});
