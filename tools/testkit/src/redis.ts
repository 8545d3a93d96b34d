import Redis from 'ioredis';

/** The commands `deleteKeysWithPrefix` needs from one server; an ioredis `Redis` fits. */
export interface KeyScanner {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  del(...keys: string[]): Promise<number>;
}

/** An ioredis `Cluster`: keys are scanned on each master. */
export interface ClusterKeyScanner {
  readonly isCluster: true;
  nodes(role: 'master'): KeyScanner[];
}

/**
 * Deletes a deployment's keys: `<prefix>…` and the hash-tagged `{<prefix>…`
 * (how presence names its keys), on a standalone Redis or on every master of
 * a Cluster.
 */
export async function deleteKeysWithPrefix(redis: KeyScanner | ClusterKeyScanner, prefix: string): Promise<void> {
  const cluster = 'isCluster' in redis && redis.isCluster;
  const servers = cluster ? redis.nodes('master') : [redis as KeyScanner];
  for (const server of servers) {
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        // On a Cluster the keys of one batch span slots, and one DEL may name keys of one slot only.
        if (cluster) for (const key of keys) await server.del(key);
        else if (keys.length > 0) await server.del(...keys);
      } while (cursor !== '0');
    }
  }
}

/** Connects to the standalone Redis at `url` only to delete a deployment's keys (see `deleteKeysWithPrefix`). */
export async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
