import type { ServerOptions } from 'socket.io';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Adapters } from '@chat/runtime';

/**
 * socket.io's cross-node adapter: the classic Redis adapter on a single Redis,
 * the sharded one (Redis 7 sharded pub/sub) on a Redis Cluster. Chat messages
 * do not ride on it: they travel on the ordered room bus (see
 * docs/architecture.md); the adapter carries socket.io's own cross-node
 * operations (broadcasts from other nodes, fetchSockets, serverSideEmit).
 */
export function redisAdapterFor(adapters: Adapters): ServerOptions['adapter'] | undefined {
  if (!adapters.redis) return undefined;
  const { pub, sub, adapterPrefix, cluster } = adapters.redis;
  if (cluster) return createShardedAdapter(pub, sub, { channelPrefix: adapterPrefix, subscriptionMode: 'dynamic' }) as ServerOptions['adapter'];
  return createAdapter(pub, sub, { key: adapterPrefix }) as ServerOptions['adapter'];
}
