import type { Cluster, Redis } from 'ioredis';

/** The keys of a presence prefix (`<prefix>:…`) on every master (standalone: the one server). */
export async function countKeysWithPrefix(redis: Redis | Cluster, prefix: string): Promise<string[]> {
  const servers: Redis[] = 'nodes' in redis && redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  const found: string[] = [];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}
