/** The two commands `deleteKeysWithPrefix` needs; an ioredis client fits. */
export interface KeyScanner {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  del(...keys: string[]): Promise<number>;
}

/**
 * Deletes a deployment's keys from a standalone Redis: `<prefix>…` and the
 * hash-tagged `{<prefix>…`, which is how presence names its keys.
 */
export async function deleteKeysWithPrefix(redis: KeyScanner, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
}
