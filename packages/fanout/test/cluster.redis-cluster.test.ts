import { Cluster } from 'ioredis';
import { createRedisBus, createRedisSeqAllocator, seqKey } from '../src';
import type { MeteredRoomBus } from '../src';
import { busContract } from './bus-contract';
import { batch, msg, onMessages, uid, waitFor } from './helpers';
import { startRedisCluster } from '@chat/devcluster';
import type { RedisClusterHandle as TestCluster } from '@chat/devcluster';
import { seqContract } from './seq-contract';

// Starting three servers and forming the cluster takes a few seconds.
jest.setTimeout(90000);

let cluster: TestCluster | undefined;
const clients: Cluster[] = [];

/** A node's Cluster client, as runtime builds it: sharded subscribers on. */
async function connectCluster(): Promise<Cluster> {
  if (!cluster) throw new Error('cluster not started');
  const c = new Cluster(cluster.startupNodes, { lazyConnect: true, shardedSubscribers: true });
  clients.push(c);
  await c.connect();
  return c;
}

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  await cluster?.stop();
});

busContract('redis cluster sharded pub/sub', async () => {
  const prefix = uid('test-bus');
  const pub = await connectCluster();
  const buses: MeteredRoomBus[] = [];
  return {
    async makeBus() {
      const bus = createRedisBus(pub, await connectCluster(), { channelPrefix: prefix });
      buses.push(bus);
      return bus;
    },
    async teardown() {
      await Promise.all(buses.map((b) => b.close()));
    },
  };
});

seqContract(
  'redis cluster',
  async () => {
    const prefix = uid('test-seq');
    const redis = await connectCluster();
    return {
      make: (loadMax) => createRedisSeqAllocator(redis, { keyPrefix: prefix, loadMax }),
      shared: true,
      async forget(roomId) {
        expect(await redis.del(seqKey(prefix, roomId))).toBe(1);
      },
      async teardown() {},
    };
  },
  { forgets: true },
);

test('rooms on every shard reach only the nodes subscribed to them', async () => {
  const prefix = uid('test-bus');
  const pub = await connectCluster();
  const a = createRedisBus(pub, await connectCluster(), { channelPrefix: prefix });
  const b = createRedisBus(pub, await connectCluster(), { channelPrefix: prefix });
  try {
    // Enough rooms that they spread over all three masters.
    const rooms = Array.from({ length: 12 }, (_, i) => uid(`room${i}`));
    const got = new Map<string, string[]>([
      ['a', []],
      ['b', []],
    ]);
    onMessages(a, (roomId) => got.get('a')!.push(roomId));
    onMessages(b, (roomId) => got.get('b')!.push(roomId));
    const forA = rooms.filter((_, i) => i % 2 === 0);
    const forB = rooms.filter((_, i) => i % 2 === 1);
    for (const r of forA) await a.subscribe(r);
    for (const r of forB) await b.subscribe(r);
    for (const r of rooms) await a.publish(r, batch([msg(r, 1)]));
    await waitFor(() => got.get('a')!.length === 6 && got.get('b')!.length === 6, 'every room delivered');
    expect(new Set(got.get('a'))).toEqual(new Set(forA));
    expect(new Set(got.get('b'))).toEqual(new Set(forB));
    expect(a.stats()).toMatchObject({ publishedBatches: 12, receivedBatches: 6 });
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
