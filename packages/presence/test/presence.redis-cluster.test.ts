import { randomUUID } from 'crypto';
import { Cluster } from 'ioredis';
import { createRedisPresence } from '../src';
import { presenceContract } from './presence-contract';
import { startRedisCluster } from '@chat/devcluster';
import type { RedisClusterHandle as TestCluster } from '@chat/devcluster';
import { deleteKeysWithPrefix } from '@chat/testkit';

// Starting three servers and forming the cluster takes a few seconds.
jest.setTimeout(90000);

let cluster: TestCluster | undefined;
let redis: Cluster | undefined;
let keyPrefix = `test:presence:${randomUUID()}`;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  redis = new Cluster(cluster.startupNodes, { lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  await redis?.quit();
  await cluster?.stop();
});

const client = (): Cluster => {
  if (!redis) throw new Error('cluster not started');
  return redis;
};

presenceContract('redis cluster', (nodeId, opts) => createRedisPresence(client(), { ...opts, nodeId, keyPrefix }), {
  beforeEach: () => {
    keyPrefix = `test:presence:${randomUUID()}`;
  },
  afterEach: () => deleteKeysWithPrefix(client(), keyPrefix),
});
