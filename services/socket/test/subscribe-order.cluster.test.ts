import Redis from 'ioredis';
import { createRedisBus, createRedisSeqAllocator } from '@chat/fanout';
import type { ChatMessage } from '@chat/protocol';
import { REDIS_URL, connect, newSession } from '@chat/testkit';
import type { TestClient } from '@chat/testkit';
import { startLocalInProcessNodes } from './in-process-nodes';
import type { InProcessNodes } from './in-process-nodes';

// A node that starts serving a room must deliver every message reserved after
// it subscribed, even when the first two arrive out of order (two writers'
// commits finishing in the other order). It used to start at the first
// message it saw and drop the lower one.
jest.setTimeout(60_000);

let nodes: InProcessNodes & { keyPrefix: string };
const redis: Redis[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  nodes = await startLocalInProcessNodes('suborder');
}, 60_000);

afterAll(async () => {
  clients.forEach((c) => c.close());
  await Promise.all(redis.map((r) => r.quit()));
  await nodes?.close();
}, 60_000);

/** A third writer on the cluster's Redis: reserves seqs and publishes the room's messages like a node. */
function otherWriter() {
  const pub = new Redis(REDIS_URL);
  const sub = new Redis(REDIS_URL);
  redis.push(pub, sub);
  const bus = createRedisBus(pub, sub, { channelPrefix: nodes.keyPrefix });
  const seq = createRedisSeqAllocator(pub, { keyPrefix: nodes.keyPrefix, loadMax: () => Promise.reject(new Error('the room has a counter')) });
  return { bus, seq };
}

function fakeMessage(roomId: string, seq: number): ChatMessage {
  return {
    id: `other-${seq}`,
    roomId,
    seq,
    userId: 'other',
    nickName: 'other',
    content: `from the other writer ${seq}`,
    sentAt: new Date().toISOString(),
    kind: 'user',
  };
}

test('the first two messages after a node subscribes are delivered in seq order, although the later one arrives first', async () => {
  const s = await newSession(nodes.api.url);
  // The user is online on socket-2 (its join announced, so the room has a counter), then opens a
  // second connection on socket-1: socket-1 subscribes, and nothing is announced this time.
  const onS2 = await connect(nodes.s2.url, { token: s.token, roomId: s.roomId });
  clients.push(onS2);
  await onS2.waitForMessage((m) => m.event === 'join', 'the join announcement');
  const onS1 = await connect(nodes.s1.url, { token: s.token });
  clients.push(onS1);
  expect(await onS1.request('join', { roomId: s.roomId })).toMatchObject({ ok: true });

  const writer = otherWriter();
  const first = await writer.seq.reserve(s.roomId, 2);
  await writer.bus.publish(s.roomId, { kind: 'messages', messages: [fakeMessage(s.roomId, first + 1)] });
  await writer.bus.publish(s.roomId, { kind: 'messages', messages: [fakeMessage(s.roomId, first)] });

  const last = await onS1.waitForMessage((m) => m.seq === first + 1, 'the later message');
  expect(last.id).toBe(`other-${first + 1}`);
  expect(onS1.messages.map((m) => m.seq)).toEqual([first, first + 1]);
});
