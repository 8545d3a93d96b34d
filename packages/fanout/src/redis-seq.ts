import fs from 'node:fs';
import path from 'node:path';
import { ChatError } from '@chat/protocol';
import { DEFAULT_PREFIX, seqKey } from './keys';
import { assertCount, createSingleFlight } from './seq-count';
import type { LoadMaxSeq, SeqAllocator } from './types';

/** The commands the allocator uses; ioredis `Redis` and `Cluster` fit. */
export interface SeqRedisClient {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  set(key: string, value: string, nx: 'NX'): Promise<unknown>;
  get(key: string): Promise<string | null>;
}

/** The command `defineCommand` adds (EVALSHA, falling back to EVAL once per connection). */
type ReserveCommand = (key: string, count: string) => Promise<number | string | null>;

const COMMAND = 'chatFanoutSeqReserve';
let script: string | undefined;

function reserveScript(): string {
  script ??= fs.readFileSync(path.join(__dirname, 'lua', 'seq-reserve-1.lua'), 'utf8');
  return script;
}

/**
 * Cluster-wide per-room seqs: one EVALSHA per reserve in the steady state.
 * A counter Redis does not have (new room, Redis restarted without its data,
 * key evicted) is seeded from the store's max seq with SET NX, so a stored seq
 * is never handed out again and concurrent seeders agree on one start.
 */
export function createRedisSeqAllocator(redis: SeqRedisClient, opts: { keyPrefix?: string; loadMax: LoadMaxSeq }): SeqAllocator {
  const prefix = opts.keyPrefix ?? DEFAULT_PREFIX;
  redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: reserveScript() });
  const run = (redis as unknown as Record<typeof COMMAND, ReserveCommand>)[COMMAND].bind(redis);

  const seed = createSingleFlight(async (roomId: string) => {
    const max = await opts.loadMax(roomId);
    await redis.set(seqKey(prefix, roomId), String(max), 'NX');
  });

  return {
    async reserve(roomId, count) {
      assertCount(count);
      const key = seqKey(prefix, roomId);
      let lastSeq = await run(key, String(count));
      // Seed and retry. Missing again right after seeding means something
      // keeps deleting the key (FLUSHALL, eviction storm): give up, never loop.
      for (let attempt = 0; lastSeq === null && attempt < 2; attempt++) {
        await seed(roomId);
        lastSeq = await run(key, String(count));
      }
      if (lastSeq === null) throw new ChatError('unavailable', 'Could not reserve a message seq; retry later.');
      return Number(lastSeq) - count + 1;
    },
    async highest(roomId) {
      const value = await redis.get(seqKey(prefix, roomId));
      // No counter: the next reserve seeds it from the store's max, so that is the highest so far.
      return value === null ? opts.loadMax(roomId) : Number(value);
    },
  };
}
