import { assertCount } from './seq-count';
import type { SeqAllocator } from './types';

interface Waiting {
  count: number;
  resolve: (first: number) => void;
  reject: (err: unknown) => void;
}

/**
 * Wraps an allocator so that every reserve for one room made in the same turn
 * of the event loop becomes one reserve of the summed count: a busy room costs
 * Redis one round trip per turn, not one per message. Seqs are handed out in
 * call order, so messages keep the order in which their sends were handled.
 */
export function coalesceSeqReservations(inner: SeqAllocator): SeqAllocator {
  let waiting = new Map<string, Waiting[]>();
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const rooms = waiting;
    waiting = new Map();
    for (const [roomId, callers] of rooms) {
      const total = callers.reduce((n, c) => n + c.count, 0);
      inner.reserve(roomId, total).then(
        (first) => {
          let next = first;
          for (const c of callers) {
            c.resolve(next);
            next += c.count;
          }
        },
        (err: unknown) => callers.forEach((c) => c.reject(err)),
      );
    }
  }

  return {
    reserve(roomId, count) {
      return new Promise<number>((resolve, reject) => {
        assertCount(count);
        const callers = waiting.get(roomId);
        if (callers) callers.push({ count, resolve, reject });
        else waiting.set(roomId, [{ count, resolve, reject }]);
        // setImmediate, not nextTick: sends read from different sockets in one poll phase share the trip.
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    highest: (roomId) => inner.highest(roomId),
  };
}
