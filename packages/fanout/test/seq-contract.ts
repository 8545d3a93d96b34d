import type { LoadMaxSeq, SeqAllocator } from '../src';
import { uid } from './helpers';

/** A "store" for the allocator under test: loadMax answers from what was stored. */
export class FakeStoreMax {
  readonly stored = new Map<string, number>();
  loads = 0;
  readonly loadMax: LoadMaxSeq = async (roomId) => {
    this.loads += 1;
    return this.stored.get(roomId) ?? 0;
  };
}

export interface SeqFixture {
  make(loadMax: LoadMaxSeq): SeqAllocator;
  /** Allocators made by `make` share one counter per room (separate nodes on one Redis). */
  shared: boolean;
  /** Makes the backend forget a room's counter (Redis restart without data). Undefined where nothing can forget. */
  forget?(roomId: string): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * `caps.forgets`: the backend can lose a room's counter (Redis); the fixtures it makes then have
 * `forget`. The test of what follows a lost counter is registered only for such backends, so a
 * backend that cannot forget reports no test instead of a pass for one it never ran.
 */
export function seqContract(name: string, setup: () => Promise<SeqFixture>, caps: { forgets: boolean }): void {
  describe(`SeqAllocator contract: ${name}`, () => {
    let fx: SeqFixture;
    let store: FakeStoreMax;
    beforeEach(async () => {
      fx = await setup();
      store = new FakeStoreMax();
    });
    afterEach(async () => {
      await fx.teardown();
    });

    test('a new room starts after the highest stored seq; reserves are consecutive', async () => {
      const seq = fx.make(store.loadMax);
      const room = uid('room');
      store.stored.set(room, 41);
      expect(await seq.reserve(room, 1)).toBe(42);
      expect(await seq.reserve(room, 3)).toBe(43);
      expect(await seq.reserve(room, 1)).toBe(46);
      expect(await seq.reserve(uid('fresh'), 1)).toBe(1);
    });

    test('50 concurrent reserves are distinct and contiguous, and the room is seeded once', async () => {
      const seq = fx.make(store.loadMax);
      const room = uid('room');
      store.stored.set(room, 100);
      const got = await Promise.all(Array.from({ length: 50 }, () => seq.reserve(room, 1)));
      expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => 101 + i));
      expect(store.loads).toBe(1);
    });

    test('concurrent multi-seq reserves never overlap', async () => {
      const seq = fx.make(store.loadMax);
      const room = uid('room');
      const counts = Array.from({ length: 20 }, (_, i) => (i % 4) + 1);
      const firsts = await Promise.all(counts.map((c) => seq.reserve(room, c)));
      const all = firsts.flatMap((f, i) => Array.from({ length: counts[i]! }, (_, k) => f + k));
      const total = counts.reduce((a, b) => a + b, 0);
      expect([...all].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    });

    test('rejects a count that is not a positive integer', async () => {
      const seq = fx.make(store.loadMax);
      await expect(seq.reserve(uid('room'), 0)).rejects.toMatchObject({ code: 'bad_request' });
      await expect(seq.reserve(uid('room'), 1.5)).rejects.toMatchObject({ code: 'bad_request' });
    });

    test('a failed load is not cached: the next reserve loads again', async () => {
      let fail = true;
      const seq = fx.make(async () => {
        if (fail) throw new Error('store down');
        return 7;
      });
      const room = uid('room');
      await expect(seq.reserve(room, 1)).rejects.toThrow('store down');
      fail = false;
      expect(await seq.reserve(room, 1)).toBe(8);
    });

    test('highest is the last seq handed out, or the stored max before the first reserve, and creates nothing', async () => {
      const seq = fx.make(store.loadMax);
      const room = uid('room');
      store.stored.set(room, 12);
      expect(await seq.highest(room)).toBe(12);
      expect(await seq.highest(room)).toBe(12);
      // Seeding is left to the first reserve (a highest that created the counter would still agree).
      expect(await seq.reserve(room, 2)).toBe(13);
      expect(await seq.highest(room)).toBe(14);
      // Reserved on another node (the same counter, another client) counts too.
      const other = fx.make(store.loadMax);
      await other.reserve(room, 1);
      expect(await fx.make(store.loadMax).highest(room)).toBe(fx.shared ? 15 : 12);
      expect(await seq.highest(uid('fresh'))).toBe(0);
    });

    if (caps.forgets) {
      test('a forgotten counter continues above the stored max, never reusing a stored seq', async () => {
        if (!fx.forget) throw new Error(`the ${name} fixture says it forgets but has no forget()`);
        const seq = fx.make(store.loadMax);
        const room = uid('room');
        for (let i = 0; i < 5; i++) store.stored.set(room, await seq.reserve(room, 1));
        await fx.forget(room);
        // Another node stored more in between; the counter must start above all of it.
        store.stored.set(room, 9);
        const again = await Promise.all(Array.from({ length: 10 }, () => seq.reserve(room, 1)));
        expect([...again].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
      });
    }
  });
}
