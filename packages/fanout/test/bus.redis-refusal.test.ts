import Redis from 'ioredis';
import { startRedisServer } from '@chat/devcluster';
import type { RedisServerHandle } from '@chat/devcluster';
import type { ChatMessage } from '@chat/protocol';
import { createRedisBus } from '../src';
import { batch, msg, onMessages, uid, waitFor } from './helpers';
import { killByName, nextEvent } from './redis-helpers';

// A re-subscription Redis refuses after a reconnect (here: the permission is
// taken away; in life a shard moving or a server still loading) must be tried
// again, or the node stays deaf to the room until the next reconnect. A private
// Redis, because the test changes its ACL.
jest.setTimeout(30_000);

let redis: RedisServerHandle;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  await redis?.stop();
});

/** Subscriber connections as the nodes make them: the bus re-subscribes, ioredis does not. */
function client(name?: string): Redis {
  const c = new Redis(redis.url, { connectionName: name, maxRetriesPerRequest: 3, autoResubscribe: false });
  clients.push(c);
  return c;
}

test('rooms whose re-subscription Redis refused are subscribed again once it accepts, and reported', async () => {
  const admin = client();
  const pub = client();
  const subName = uid('sub');
  const sub = client(subName);
  const errors: unknown[] = [];
  const publisher = createRedisBus(pub, client(), { channelPrefix: 'refusal' });
  const node = createRedisBus(pub, sub, { channelPrefix: 'refusal', onError: (e) => errors.push(e) });
  try {
    const room = uid('room');
    const got: ChatMessage[] = [];
    const resubscribed: string[][] = [];
    onMessages(node, (_r, m) => got.push(...m));
    if (sub.status !== 'ready') await nextEvent(sub, 'ready'); // a first 'ready' is not a re-subscription
    node.onResubscribed((roomIds) => resubscribed.push(roomIds));
    await node.subscribe(room);

    await admin.call('ACL', 'SETUSER', 'default', '-ssubscribe');
    const reconnected = nextEvent(sub, 'ready');
    expect(await killByName(admin, subName)).toBe(1);
    await reconnected;
    await waitFor(() => errors.some((e) => /NOPERM/i.test(String(e))), 'the refused re-subscription');
    expect(resubscribed).toEqual([]);

    await admin.call('ACL', 'SETUSER', 'default', '+ssubscribe');
    await waitFor(() => resubscribed.length === 1, 'the retried re-subscription', 10_000);
    expect(resubscribed[0]).toEqual([room]);
    let seq = 0;
    await waitFor(async () => {
      await publisher.publish(room, batch([msg(room, ++seq)]));
      return got.length > 0;
    }, 'delivery after the retry');
  } finally {
    await node.close();
    await publisher.close();
  }
});
