import type { ServerOptions } from 'socket.io';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Adapters, RedisClient } from '@chat/runtime';

/**
 * socket.io's cross-node adapter: the classic Redis adapter on a single Redis,
 * the sharded one (Redis 7 sharded pub/sub) on a Redis Cluster. Chat messages
 * do not ride on it: they travel on the ordered room bus (see
 * docs/architecture.md); the adapter carries socket.io's own cross-node
 * operations (broadcasts from other nodes, fetchSockets, serverSideEmit).
 */
export function redisAdapterFor(adapters: Adapters, onError: (err: unknown) => void): ServerOptions['adapter'] | undefined {
  if (!adapters.redis) return undefined;
  const { pub, adapterPrefix, cluster } = adapters.redis;
  const sub = catchSubscriptionErrors(adapters.redis.sub, onError);
  if (cluster) return createShardedAdapter(pub, sub, { channelPrefix: adapterPrefix, subscriptionMode: 'dynamic' }) as ServerOptions['adapter'];
  return createAdapter(pub, sub, { key: adapterPrefix }) as ServerOptions['adapter'];
}

const SUBSCRIPTION_COMMANDS = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe']);

/**
 * The adapter sends (un)subscribe commands without handling their promise, so
 * a refusal (wrong credentials, Redis unreachable past the retries) would be
 * an unhandled rejection, which ends a Node process. Its subscriber client is
 * handed over behind this proxy, which reports those refusals instead; ioredis
 * subscribes again by itself on the next reconnect.
 */
function catchSubscriptionErrors(client: RedisClient, onError: (err: unknown) => void): RedisClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !SUBSCRIPTION_COMMANDS.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) result.catch(onError);
        return result;
      };
    },
  });
}
