import { randomUUID } from 'crypto';
import Redis from 'ioredis';
import { createRedisPresence } from '../src';
import { presenceContract } from './presence-contract';
import { countKeysWithPrefix, deleteKeysWithPrefix } from './redis-keys';

const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
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
      expect(await countKeysWithPrefix(redis, prefix)).toEqual([`{${prefix}}:nodes`]);
    } finally {
      await a.close();
      await deleteKeysWithPrefix(redis, prefix);
    }
  });

  test('rejects a key prefix that would break hash tags', () => {
    expect(() => createRedisPresence(redis, { nodeId: 'a', keyPrefix: 'a{b}' })).toThrow(RangeError);
  });
});
