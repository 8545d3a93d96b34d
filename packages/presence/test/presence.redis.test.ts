import { randomUUID } from 'crypto';
import Redis from 'ioredis';
import { createRedisPresence } from '../src';
import { presenceContract } from './presence-contract';
import { REDIS_URL, deleteKeysWithPrefix } from '@chat/testkit';
import { countKeysWithPrefix } from './redis-keys';
import { waitFor } from './wait';

const redis = new Redis(REDIS_URL, { lazyConnect: true });
let keyPrefix = `test:presence:${randomUUID()}`;

beforeAll(() => redis.connect());
afterAll(() => redis.quit());

presenceContract('redis', (nodeId, opts) => createRedisPresence(redis, { ...opts, nodeId, keyPrefix }), {
  beforeEach: () => {
    keyPrefix = `test:presence:${randomUUID()}`;
  },
  afterEach: () => deleteKeysWithPrefix(redis, keyPrefix),
});

describe('redis presence', () => {
  test('an emptied room, user and node leave only the node registry behind', async () => {
    const prefix = `test:presence:${randomUUID()}`;
    const a = createRedisPresence(redis, { nodeId: 'a', keyPrefix: prefix });
    try {
      a.start();
      await a.join('r', { userId: 'u', nickName: 'n', headNum: 1 }, 'c1');
      await a.join('r', { userId: 'v', nickName: 'm', headNum: 2 }, 'c2');
      expect((await countKeysWithPrefix(redis, prefix)).length).toBeGreaterThan(1);
      await a.removeOwnConnections();
      await a.close();
      expect(await countKeysWithPrefix(redis, prefix)).toEqual([`${prefix}:nodes`]);
    } finally {
      await a.close();
      await deleteKeysWithPrefix(redis, prefix);
    }
  });

  test('after Redis loses its data, a live node adds its connections back at its next heartbeat', async () => {
    const prefix = `test:presence:${randomUUID()}`;
    const restored: string[][] = [];
    const errors: unknown[] = [];
    const a = createRedisPresence(redis, {
      nodeId: 'a',
      keyPrefix: prefix,
      heartbeatIntervalMs: 50,
      nodeTtlMs: 5000,
      onError: (err) => errors.push(err),
    });
    a.onRestored((rooms) => restored.push(rooms));
    const u = { userId: 'u', nickName: 'n', headNum: 1 };
    const v = { userId: 'v', nickName: 'm', headNum: 2 };
    try {
      a.start();
      await a.join('r1', u, 'c1');
      await a.join('r1', v, 'c2');
      await a.join('r2', u, 'c3');
      await a.leave('r1', 'v', 'c2');
      await waitFor(async () => (await countKeysWithPrefix(redis, prefix)).includes(`${prefix}:nodes`), 'the first heartbeat');
      // What a Redis restart without persistence does to this prefix.
      await deleteKeysWithPrefix(redis, prefix);
      expect(await a.members('r1')).toEqual([]);
      await waitFor(() => restored.length > 0, 'the node to add its connections back');
      expect(restored[0]!.sort()).toEqual(['r1', 'r2']);
      expect(await a.members('r1')).toEqual([u]);
      expect(await a.members('r2')).toEqual([u]);
      expect(await a.isOnline('r1', 'v')).toBe(false);
      expect(String(errors[0])).toContain('no longer registered');
      // Restored connections are ordinary ones: the last one's leave is the user's departure.
      await expect(a.leave('r1', 'u', 'c1')).resolves.toEqual({ lastForUser: true, member: u });
      expect(restored).toHaveLength(1);
    } finally {
      await a.close();
      await deleteKeysWithPrefix(redis, prefix);
    }
  });

  test('rejects a key prefix that would break hash tags', () => {
    expect(() => createRedisPresence(redis, { nodeId: 'a', keyPrefix: 'a{b}' })).toThrow(RangeError);
  });
});
