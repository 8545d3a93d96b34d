import Redis from 'ioredis';
import { REDIS_URL } from '@chat/testkit';

/** A client of the test Redis (TEST_REDIS_URL, or the local one). */
export function connect(connectionName?: string): Redis {
  return new Redis(REDIS_URL, { connectionName, maxRetriesPerRequest: 3 });
}

/** Resolves on the emitter's next `event`, or fails after `timeoutMs`. */
export function nextEvent(emitter: Redis, event: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onEvent = () => {
      clearTimeout(timer);
      resolve();
    };
    emitter.once(event, onEvent);
  });
}

/** Kills exactly the connection(s) named `name` (not other people's pub/sub clients). */
export async function killByName(admin: Redis, name: string): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await admin.client('KILL', 'ID', id);
  return ids.length;
}

export async function deleteByPrefix(admin: Redis, prefix: string): Promise<void> {
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
}
