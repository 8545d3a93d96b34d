import type { Cluster, Redis } from 'ioredis';

/** Deletes every key whose name starts with `{<prefix>` on every master (standalone: the one server). */
export async function deleteKeysWithPrefix(redis: Redis | Cluster, prefix: string): Promise<void> {
  const servers: Redis[] = 'nodes' in redis && redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 500);
      cursor = next;
      // One DEL per key: in a cluster the keys of one batch span slots.
      for (const key of keys) await server.del(key);
    } while (cursor !== '0');
  }
}

export async function countKeysWithPrefix(redis: Redis | Cluster, prefix: string): Promise<string[]> {
  const servers: Redis[] = 'nodes' in redis && redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  const found: string[] = [];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}
