import { assertCount, createSingleFlight } from './seq-count';
import type { LoadMaxSeq, SeqAllocator } from './types';

/**
 * Per-room counters in this process (the embedded server). A room is seeded
 * once from the store's max seq; concurrent first calls share that one load.
 */
export function createMemorySeqAllocator(loadMax: LoadMaxSeq): SeqAllocator {
  /** roomId -> last seq handed out. */
  const last = new Map<string, number>();
  const seed = createSingleFlight(async (roomId: string) => {
    const max = await loadMax(roomId);
    // Another caller may have seeded the room while this load ran; keep its counter.
    if (!last.has(roomId)) last.set(roomId, max);
  });

  return {
    async reserve(roomId, count) {
      assertCount(count);
      if (!last.has(roomId)) await seed(roomId);
      // Synchronous from here on: no await between read and write, so no overlap.
      const first = (last.get(roomId) ?? 0) + 1;
      last.set(roomId, first + count - 1);
      return first;
    },
    async highest(roomId) {
      return last.get(roomId) ?? (await loadMax(roomId));
    },
  };
}
