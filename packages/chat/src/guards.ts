import { ChatError } from '@chat/protocol';

/** A store call: anything but a ChatError means the database is not answering. */
export async function guardStore<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof ChatError) throw err;
    throw new ChatError('unavailable', 'The message store is unavailable; retry later.');
  }
}

/** A Redis-backed call (presence, seq, bus): anything but a ChatError means Redis is not answering. */
export async function guardRedis<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof ChatError) throw err;
    throw new ChatError('unavailable', 'Presence is unavailable; retry later.');
  }
}

/** Memoises `load` for `ttlMs` (per process): cheap answers to questions anyone may ask in a loop. */
export function cachedFor<T>(ttlMs: number, load: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let value: Promise<T> | undefined;
  let at = 0;
  return () => {
    if (value && now() - at < ttlMs) return value;
    at = now();
    const loading = load();
    value = loading;
    // A failure is not remembered.
    loading.catch(() => {
      if (value === loading) value = undefined;
    });
    return loading;
  };
}
