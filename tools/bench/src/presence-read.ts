import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { createHistogram, summarize } from '@chat/loadtest';
import { createRedisPresence } from '@chat/presence';
import { deleteKeysWithPrefix } from '@chat/testkit';
import { fmt, int, machine, table, writeSection } from './markdown';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIZES = [1_000, 10_000, 100_000] as const;
const READS = 30;
const JOIN_CHUNK = 1_000;

interface Row {
  members: number;
  node: { p50: number; p99: number };
  redisUsPerRead: number;
  bytes: number;
}

/**
 * `pnpm bench presence-read`: what one members update of a big room costs
 * Redis. A node with members of a room reads the room's whole presence hash
 * (`members()`, one HGETALL) at most once per members interval; the whole
 * room lives on one shard. Real presence store, local Redis.
 */
export async function presenceReadBenchmark(): Promise<string> {
  const redis = new Redis(REDIS_URL);
  const rows: Row[] = [];
  try {
    for (const size of SIZES) rows.push(await measure(redis, size));
  } finally {
    redis.disconnect();
  }
  const biggest = rows.at(-1)!;
  const md = `## Presence reads of a big room

Command: \`pnpm bench presence-read\`. Machine: ${machine()}.

One room's presence filled with n members through the Redis presence store (\`join\`, the same Lua script as the nodes), then
\`members()\` read ${READS} times one after the other, as a node does for a members update. "Redis time" is Redis's own time per
\`HGETALL\` from \`INFO commandstats\` (its single thread is busy for that long); "node" is the whole call as a node sees it
(round trip, transfer, decoding).

${table(
  ['members in the room', 'node p50 ms', 'node p99 ms', 'Redis time per read ms', 'the hash in Redis memory KB'],
  rows.map((r) => [int(r.members), fmt(r.node.p50, 2), fmt(r.node.p99, 2), fmt(r.redisUsPerRead / 1000, 2), int(r.bytes / 1024)]),
)}

With ${int(biggest.members)} members spread over 20 nodes (${int(biggest.members / 20)} each), each node sends a members update at most
every ${fmt((Math.ceil(biggest.members / 20 / 500) * 250) / 1000, 2)} s (\`MEMBERS_INTERVAL_MS\` 250 ms per started 500 local sockets): while members come and go
that is ${fmt(20 / ((Math.ceil(biggest.members / 20 / 500) * 250) / 1000), 1)} reads per second, about
${fmt((20 / ((Math.ceil(biggest.members / 20 / 500) * 250) / 1000)) * (biggest.redisUsPerRead / 1e6) * 100, 0)}% of the room's shard (docs/capacity.md).
`;
  writeSection('presence-read', md);
  return md;
}

async function measure(redis: Redis, size: number): Promise<Row> {
  const keyPrefix = `bench-presence-${randomUUID().slice(0, 8)}`;
  const presence = createRedisPresence(redis, { nodeId: `bench-${process.pid}`, keyPrefix, heartbeatIntervalMs: 60_000, nodeTtlMs: 600_000 });
  const roomId = 'big-room';
  try {
    presence.start();
    for (let i = 0; i < size; i += JOIN_CHUNK) {
      const chunk = Array.from({ length: Math.min(JOIN_CHUNK, size - i) }, (_, j) => i + j);
      await Promise.all(
        chunk.map((n) => presence.join(roomId, { userId: `u${n.toString().padStart(8, '0')}x`, nickName: `member ${n}`, headNum: n % 10 }, `c${n}`)),
      );
    }
    await presence.members(roomId); // warm
    await redis.config('RESETSTAT');
    const h = createHistogram();
    let count = 0;
    for (let i = 0; i < READS; i++) {
      const t = performance.now();
      count = (await presence.members(roomId)).length;
      h.recordValue(Math.round((performance.now() - t) * 1000));
    }
    if (count !== size) throw new Error(`presence holds ${count} members, expected ${size}`);
    const stats = await redis.info('commandstats');
    const usPerCall = Number(/cmdstat_hgetall:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(stats)?.[1] ?? NaN);
    const bytes = Number(await redis.call('MEMORY', 'USAGE', await roomHashKey(redis, keyPrefix)));
    const node = summarize(h);
    process.stderr.write(`  ${size} members: p50 ${fmt(node.p50, 2)} ms, Redis ${fmt(usPerCall / 1000, 2)} ms per HGETALL\n`);
    return { members: size, node, redisUsPerRead: usPerCall, bytes };
  } finally {
    await presence.close();
    await deleteKeysWithPrefix(redis, keyPrefix);
  }
}

/** The room's hash: the one key of the prefix that HGETALL reads (found by type, so this file need not know the key layout). */
async function roomHashKey(redis: Redis, keyPrefix: string): Promise<string> {
  let biggest = { key: '', len: -1 };
  for await (const keys of redis.scanStream({ match: `${keyPrefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
    for (const key of keys) {
      if ((await redis.type(key)) !== 'hash') continue;
      const len = await redis.hlen(key);
      if (len > biggest.len) biggest = { key, len };
    }
  }
  return biggest.key;
}
