import type { ServerOptions } from 'socket.io';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Infrastructure } from '@chat/runtime';

/**
 * socket.io's cross-node adapter: the classic Redis adapter on a single Redis,
 * the sharded one (Redis 7 sharded pub/sub) on a Redis Cluster. Chat messages
 * do not ride on it: they travel on the ordered room bus (see
 * docs/architecture.md); the adapter carries socket.io's own cross-node
 * operations (broadcasts from other nodes, fetchSockets, serverSideEmit).
 */
export function redisAdapterFor(infra: Infrastructure): ServerOptions['adapter'] | undefined {
  if (!infra.redis) return undefined;
  const { pub, sub } = infra.redis;
  const prefix = `${infra.config.REDIS_KEY_PREFIX}:socket.io`;
  if (infra.config.redisClusterNodes.length > 0) {
    return createShardedAdapter(pub, sub, { channelPrefix: prefix, subscriptionMode: 'dynamic' }) as ServerOptions['adapter'];
  }
  return createAdapter(pub, sub, { key: prefix }) as ServerOptions['adapter'];
}
