import { wireContract } from '@chat/testkit';
import { startRedisCluster } from '../src';
import type { RedisClusterHandle } from '../src';
import { clusterTarget, wireTargetOf } from './cluster-target';

// The same black-box suite again, with the nodes on a real 3-master Redis
// Cluster (REDIS_CLUSTER_NODES): the sharded socket.io adapter, the room bus
// on sharded pub/sub, presence, seq and rate limits all on cluster slots.
jest.setTimeout(60_000);

wireContract('cluster on a Redis Cluster: 2 socket + 1 API nodes behind HAProxy', async () => {
  let redisCluster: RedisClusterHandle | undefined = await startRedisCluster({ masters: 3 });
  try {
    const target = await clusterTarget({
      socket: 2,
      api: 1,
      env: { REDIS_URL: '', REDIS_CLUSTER_NODES: redisCluster.nodes.join(',') },
    });
    const owned = redisCluster;
    redisCluster = undefined;
    return wireTargetOf(target, async () => {
      await target.close();
      await owned.stop();
    });
  } finally {
    await redisCluster?.stop();
  }
});
