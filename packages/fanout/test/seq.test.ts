import type Redis from 'ioredis';
import { coalesceSeqReservations, createMemorySeqAllocator, createRedisSeqAllocator, seqKey } from '../src';
import type { SeqAllocator } from '../src';
import { uid } from './helpers';
import { connect, deleteByPrefix } from './redis-helpers';
import { seqContract } from './seq-contract';

seqContract(
  'memory',
  async () => ({
    make: (loadMax) => createMemorySeqAllocator(loadMax),
    shared: false,
    async teardown() {},
  }),
  { forgets: false },
);

/** Each allocator on its own connection, like separate nodes sharing one Redis; `wrap` decorates it. */
function redisFixture(wrap: (seq: SeqAllocator) => SeqAllocator = (seq) => seq) {
  return async () => {
    const prefix = uid('test-seq');
    const redis = connect();
    const clients: Redis[] = [redis];
    return {
      make(loadMax: (roomId: string) => Promise<number>) {
        const client = connect();
        clients.push(client);
        return wrap(createRedisSeqAllocator(client, { keyPrefix: prefix, loadMax }));
      },
      shared: true,
      async forget(roomId: string) {
        expect(await redis.del(seqKey(prefix, roomId))).toBe(1);
      },
      async teardown() {
        await deleteByPrefix(redis, prefix);
        await Promise.all(clients.map((c) => c.quit()));
      },
    };
  };
}

seqContract('redis', redisFixture(), { forgets: true });
seqContract('redis, coalesced per room', redisFixture(coalesceSeqReservations), { forgets: true });

describe('coalesced seq reservations', () => {
  /** An allocator that records its calls. */
  function recording(inner: SeqAllocator) {
    const calls: Array<[string, number]> = [];
    return {
      calls,
      allocator: {
        reserve: (roomId: string, count: number) => (calls.push([roomId, count]), inner.reserve(roomId, count)),
        highest: (roomId: string) => inner.highest(roomId),
      },
    };
  }

  test('reserves of one turn become one call per room, handed out in call order', async () => {
    const { calls, allocator } = recording(createMemorySeqAllocator(async () => 10));
    const seq = coalesceSeqReservations(allocator);
    const got = await Promise.all([seq.reserve('a', 1), seq.reserve('b', 1), seq.reserve('a', 3), seq.reserve('a', 1)]);
    expect(got).toEqual([11, 11, 12, 15]);
    expect(calls).toEqual([
      ['a', 5],
      ['b', 1],
    ]);
    // A later turn is a new call.
    await expect(seq.reserve('a', 1)).resolves.toBe(16);
    expect(calls).toHaveLength(3);
  });

  test('a failed reserve rejects every caller of that room only', async () => {
    const failing: SeqAllocator = {
      reserve: async (roomId) => {
        if (roomId === 'down') throw new Error('redis down');
        return 1;
      },
      highest: async () => 0,
    };
    const seq = coalesceSeqReservations(failing);
    const results = await Promise.allSettled([seq.reserve('down', 1), seq.reserve('down', 2), seq.reserve('up', 1)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });
});

describe('redis seq allocator', () => {
  test('two nodes share one counter per room, hash-tagged for Cluster', async () => {
    const prefix = uid('test-seq');
    const [a, b] = [connect(), connect()];
    try {
      const loadMax = async () => 0;
      const nodeA = createRedisSeqAllocator(a, { keyPrefix: prefix, loadMax });
      const nodeB = createRedisSeqAllocator(b, { keyPrefix: prefix, loadMax });
      const room = uid('room');
      const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? nodeA : nodeB).reserve(room, 1)));
      expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(seqKey(prefix, room)).toBe(`${prefix}:seq:{${room}}`);
      expect(await a.get(seqKey(prefix, room))).toBe('40');
    } finally {
      await deleteByPrefix(a, prefix);
      await Promise.all([a.quit(), b.quit()]);
    }
  });

  test('steady state is one round trip per reserve', async () => {
    const prefix = uid('test-seq');
    const redis = connect();
    const admin = connect();
    try {
      const seq = createRedisSeqAllocator(redis, { keyPrefix: prefix, loadMax: async () => 0 });
      const room = uid('room');
      await seq.reserve(room, 1); // seeds, loads the script
      const sent: string[] = [];
      const original = redis.sendCommand.bind(redis);
      redis.sendCommand = ((cmd: { name: string }) => {
        sent.push(cmd.name);
        return original(cmd as never);
      }) as typeof redis.sendCommand;
      await seq.reserve(room, 1);
      await seq.reserve(room, 5);
      expect(sent).toEqual(['evalsha', 'evalsha']);
    } finally {
      await deleteByPrefix(admin, prefix);
      await Promise.all([redis.quit(), admin.quit()]);
    }
  });
});
