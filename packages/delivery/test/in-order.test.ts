import type { ChatMessage } from '@chat/protocol';
import { MAX_GAP_FILL, createInOrderDelivery } from '../src';
import type { InOrderDeliveryOptions } from '../src';
import { msg } from './helpers';

const R = 'room-1';
const seqs = (batches: ChatMessage[][]) => batches.map((b) => b.map((m) => m.seq));

/** A delivery under test with a recorded output and a store holding `stored` seqs. */
function setup(stored: number[] = [], extra: Partial<InOrderDeliveryOptions> = {}) {
  const out: ChatMessage[][] = [];
  const fetches: Array<[string, number, number]> = [];
  const errors: unknown[] = [];
  const delivery = createInOrderDelivery({
    deliver: (_roomId, messages) => out.push(messages),
    fetchRange: async (roomId, after, upto) => {
      fetches.push([roomId, after, upto]);
      return stored.filter((s) => s > after && s <= upto).map((s) => msg(roomId, s));
    },
    onError: (e) => errors.push(e),
    ...extra,
  });
  return { delivery, out, fetches, errors };
}

describe('in-order delivery', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    expect(jest.getTimerCount()).toBe(0);
    jest.useRealTimers();
  });

  test('in-order input passes straight through, one deliver per contiguous batch', () => {
    const { delivery, out } = setup();
    delivery.push(R, [msg(R, 5), msg(R, 6)]);
    delivery.push(R, [msg(R, 7)]);
    expect(seqs(out)).toEqual([[5, 6], [7]]);
    delivery.close();
  });

  test('a skipped seq closes its gap at once: the held run goes out without a timer or a fetch', () => {
    const { delivery, out, fetches } = setup();
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 3), msg(R, 4)]);
    expect(jest.getTimerCount()).toBe(1);
    delivery.skip(R, [2]);
    expect(seqs(out)).toEqual([[1], [3, 4]]);
    expect(jest.getTimerCount()).toBe(0);
    expect(fetches).toEqual([]);
    delivery.close();
  });

  test('a skip that arrives before its gap is held like a message and passed over in order', () => {
    const { delivery, out } = setup();
    delivery.push(R, [msg(R, 1)]);
    delivery.skip(R, [3, 4]);
    expect(jest.getTimerCount()).toBe(1); // 3 and 4 wait for 2 like messages would
    delivery.push(R, [msg(R, 2)]);
    delivery.push(R, [msg(R, 5)]);
    expect(seqs(out)).toEqual([[1], [2], [5]]);
    expect(jest.getTimerCount()).toBe(0);
    delivery.close();
  });

  test('skips before a room starts, below the expectation, or of a seq already held are ignored', () => {
    const { delivery, out } = setup();
    delivery.skip(R, [1]);
    delivery.push(R, [msg(R, 5)]);
    delivery.skip(R, [4, 5]);
    delivery.push(R, [msg(R, 7)]);
    delivery.skip(R, [7]);
    delivery.push(R, [msg(R, 6)]);
    expect(seqs(out)).toEqual([[5], [6, 7]]);
    delivery.close();
  });

  test('the first message seen sets the expectation; lower seqs are duplicates', () => {
    const { delivery, out } = setup();
    delivery.push(R, [msg(R, 10)]);
    delivery.push(R, [msg(R, 9)]);
    delivery.push(R, [msg(R, 10)]);
    delivery.push(R, [msg(R, 11)]);
    expect(seqs(out)).toEqual([[10], [11]]);
    delivery.close();
  });

  test('a held room starts after the highest seq reserved at subscription, even when a later seq arrives first', () => {
    const { delivery, out } = setup();
    const begin = delivery.hold(R);
    // 9 was reserved before the subscription; 11 overtook 10, both reserved after it.
    delivery.push(R, [msg(R, 9)]);
    delivery.push(R, [msg(R, 11)]);
    expect(out).toEqual([]);
    begin(10);
    expect(jest.getTimerCount()).toBe(1); // 11 waits for 10
    delivery.push(R, [msg(R, 10)]);
    delivery.push(R, [msg(R, 9), msg(R, 12)]);
    expect(seqs(out)).toEqual([[10, 11], [12]]);
    delivery.close();
  });

  test('skips that arrive while a room is held apply once it begins', () => {
    const { delivery, out } = setup();
    const begin = delivery.hold(R);
    delivery.skip(R, [5]);
    delivery.push(R, [msg(R, 6)]);
    begin(5);
    expect(seqs(out)).toEqual([[6]]);
    delivery.close();
  });

  test('a begin without a seq starts at the lowest that arrived meanwhile, or at the first to arrive', () => {
    const { delivery, out } = setup();
    const begin = delivery.hold(R);
    delivery.push(R, [msg(R, 4), msg(R, 3)]);
    begin();
    expect(seqs(out)).toEqual([[3, 4]]);
    const other = 'room-2';
    delivery.hold(other)();
    delivery.push(other, [msg(other, 7)]);
    expect(seqs(out)).toEqual([[3, 4], [7]]);
    delivery.close();
  });

  test('a begin from an earlier hold is ignored after the room was forgotten or held again', () => {
    const { delivery, out } = setup();
    const stale = delivery.hold(R);
    delivery.forget(R);
    const current = delivery.hold(R);
    delivery.push(R, [msg(R, 20)]);
    stale(3); // would leave 3..19 as a gap to fill from the store
    expect(out).toEqual([]);
    current(20);
    expect(seqs(out)).toEqual([[20]]);
    delivery.close();
  });

  test('a catch-up opens a gap up to the highest seq: what arrives in time is delivered, the rest read from the store', async () => {
    const { delivery, out, fetches } = setup([12, 13]);
    delivery.push(R, [msg(R, 10)]);
    delivery.catchUp(R, 13);
    delivery.push(R, [msg(R, 11)]); // published late, arrives in time
    expect(seqs(out)).toEqual([[10], [11]]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(fetches).toEqual([[R, 11, 13]]);
    expect(seqs(out)).toEqual([[10], [11], [12, 13]]);
    delivery.push(R, [msg(R, 14)]);
    expect(seqs(out)).toEqual([[10], [11], [12, 13], [14]]);
    delivery.close();
  });

  test('a catch-up at or below what was delivered, or for a room not started or held, does nothing', () => {
    const { delivery, out } = setup();
    delivery.push(R, [msg(R, 5)]);
    delivery.catchUp(R, 5);
    delivery.catchUp('never-seen', 9);
    const begin = delivery.hold('held');
    delivery.catchUp('held', 9);
    expect(jest.getTimerCount()).toBe(0);
    begin(10);
    delivery.push('held', [msg('held', 10)]);
    expect(seqs(out)).toEqual([[5], [10]]);
    delivery.close();
  });

  test('one gap fill reads at most MAX_GAP_FILL messages: the latest ones; older seqs are passed over', async () => {
    const stored = Array.from({ length: MAX_GAP_FILL + 5 }, (_, i) => i + 2);
    const { delivery, out, fetches } = setup(stored);
    delivery.push(R, [msg(R, 1)]);
    delivery.catchUp(R, MAX_GAP_FILL + 6);
    await jest.advanceTimersByTimeAsync(1000);
    expect(fetches).toEqual([[R, 6, MAX_GAP_FILL + 6]]);
    expect(out[1]![0]!.seq).toBe(7);
    expect(out[1]).toHaveLength(MAX_GAP_FILL);
    delivery.push(R, [msg(R, MAX_GAP_FILL + 7)]);
    expect(out[2]!.map((m) => m.seq)).toEqual([MAX_GAP_FILL + 7]);
    delivery.close();
  });

  test('a reordered pair is delivered in order, together', () => {
    const { delivery, out } = setup();
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 3)]);
    expect(seqs(out)).toEqual([[1]]);
    delivery.push(R, [msg(R, 2)]);
    expect(seqs(out)).toEqual([[1], [2, 3]]);
    expect(jest.getTimerCount()).toBe(0);
    delivery.close();
  });

  test('an unsorted batch is sorted; duplicates inside and across batches are dropped', () => {
    const { delivery, out } = setup();
    delivery.push(R, [msg(R, 1), msg(R, 3), msg(R, 2), msg(R, 3)]);
    delivery.push(R, [msg(R, 5), msg(R, 5)]);
    delivery.push(R, [msg(R, 5), msg(R, 2), msg(R, 4)]);
    expect(seqs(out)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    delivery.close();
  });

  test('a long gap is filled from the store after gapTimeoutMs', async () => {
    const { delivery, out, fetches } = setup([2, 3, 4, 5], { gapTimeoutMs: 1000 });
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 6), msg(R, 7)]);
    await jest.advanceTimersByTimeAsync(999);
    expect(fetches).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(fetches).toEqual([[R, 1, 5]]);
    expect(seqs(out)).toEqual([[1], [2, 3, 4, 5, 6, 7]]);
    delivery.push(R, [msg(R, 4), msg(R, 8)]);
    expect(seqs(out)).toEqual([[1], [2, 3, 4, 5, 6, 7], [8]]);
    delivery.close();
  });

  test('seqs that are nowhere (sender crashed after reserving) are skipped', async () => {
    const { delivery, out, fetches } = setup([3], { gapTimeoutMs: 50 });
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 5)]);
    await jest.advanceTimersByTimeAsync(50);
    expect(fetches).toEqual([[R, 1, 4]]);
    expect(seqs(out)).toEqual([[1], [3, 5]]);
    // The skipped seq showing up late is a duplicate now.
    delivery.push(R, [msg(R, 2), msg(R, 6)]);
    expect(seqs(out)).toEqual([[1], [3, 5], [6]]);
    delivery.close();
  });

  test('the gap timeout counts from the last progress; several gaps fill one at a time', async () => {
    const { delivery, out, fetches } = setup([], { gapTimeoutMs: 100 });
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 3), msg(R, 5)]);
    await jest.advanceTimersByTimeAsync(90);
    delivery.push(R, [msg(R, 2)]); // progress: 2,3 out, gap at 4 still open
    expect(seqs(out)).toEqual([[1], [2, 3]]);
    await jest.advanceTimersByTimeAsync(90);
    expect(fetches).toEqual([]);
    await jest.advanceTimersByTimeAsync(10);
    expect(fetches).toEqual([[R, 3, 4]]);
    expect(seqs(out)).toEqual([[1], [2, 3], [5]]);
    delivery.close();
  });

  test('messages arriving while the store is queried are merged, not duplicated', async () => {
    let release: (v: ChatMessage[]) => void = () => {};
    const { delivery, out } = setup([], {
      gapTimeoutMs: 10,
      fetchRange: () => new Promise((resolve) => (release = resolve)),
    });
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 4)]);
    await jest.advanceTimersByTimeAsync(10);
    delivery.push(R, [msg(R, 3)]);
    release([msg(R, 2), msg(R, 3)]);
    await jest.advanceTimersByTimeAsync(0);
    expect(seqs(out)).toEqual([[1], [2, 3, 4]]);
    delivery.close();
  });

  test('a failing store is retried, then the gap is skipped so the room does not stall', async () => {
    let calls = 0;
    const { delivery, out, errors } = setup([], {
      gapTimeoutMs: 10,
      maxFetchAttempts: 2,
      fetchRange: async () => {
        calls++;
        throw new Error('store down');
      },
    });
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 3)]);
    await jest.advanceTimersByTimeAsync(10);
    expect(calls).toBe(1);
    expect(seqs(out)).toEqual([[1]]);
    await jest.advanceTimersByTimeAsync(10);
    expect(calls).toBe(2);
    expect(seqs(out)).toEqual([[1], [3]]);
    expect(errors).toHaveLength(2);
    delivery.close();
  });

  test('rooms are independent', () => {
    const out: Array<[string, number[]]> = [];
    const delivery = createInOrderDelivery({
      deliver: (roomId, messages) => out.push([roomId, messages.map((m) => m.seq)]),
      fetchRange: async () => [],
    });
    delivery.push('a', [msg('a', 1)]);
    delivery.push('b', [msg('b', 7)]);
    delivery.push('a', [msg('a', 2)]);
    expect(out).toEqual([
      ['a', [1]],
      ['b', [7]],
      ['a', [2]],
    ]);
    delivery.close();
  });

  test('a throwing deliver is reported and does not break the room', () => {
    let fail = true;
    const errors: unknown[] = [];
    const got: number[] = [];
    const delivery = createInOrderDelivery({
      deliver: (_r, messages) => {
        if (fail) throw new Error('socket gone');
        got.push(...messages.map((m) => m.seq));
      },
      fetchRange: async () => [],
      onError: (e) => errors.push(e),
    });
    delivery.push(R, [msg(R, 1)]);
    fail = false;
    delivery.push(R, [msg(R, 2)]);
    expect(errors).toHaveLength(1);
    expect(got).toEqual([2]);
    delivery.close();
  });

  test('forget drops the room: its timer, held messages and expectation', async () => {
    const { delivery, out, fetches } = setup([2], { gapTimeoutMs: 10 });
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 3)]);
    expect(jest.getTimerCount()).toBe(1);
    delivery.forget(R);
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(100);
    expect(fetches).toEqual([]);
    delivery.push(R, [msg(R, 50)]); // a member rejoined: a new expectation
    expect(seqs(out)).toEqual([[1], [50]]);
    delivery.close();
  });

  test('a fetch answered after forget is ignored', async () => {
    let release: (v: ChatMessage[]) => void = () => {};
    const { delivery, out } = setup([], {
      gapTimeoutMs: 10,
      fetchRange: () => new Promise((resolve) => (release = resolve)),
    });
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 3)]);
    await jest.advanceTimersByTimeAsync(10);
    delivery.forget(R);
    release([msg(R, 2)]);
    await jest.advanceTimersByTimeAsync(0);
    expect(seqs(out)).toEqual([[1]]);
    delivery.close();
  });

  test('reports how long each live message waited for a lower seq: 0 on arrival, the wait when held, nothing for stored ones', async () => {
    const waited: number[] = [];
    const { delivery, out } = setup([3], { gapTimeoutMs: 1000, onWaited: (ms) => waited.push(ms) });
    delivery.push(R, [msg(R, 1)]); // in order: out at once
    delivery.push(R, [msg(R, 4)]); // held behind 2 and 3
    await jest.advanceTimersByTimeAsync(30);
    delivery.push(R, [msg(R, 2)]); // releases 2 at once; 4 still waits for 3
    await jest.advanceTimersByTimeAsync(1000); // the gap timeout: 3 comes from the store, then 4
    expect(seqs(out)).toEqual([[1], [2], [3, 4]]);
    expect(waited).toEqual([0, 0, 1030]); // 1, 2, then 4 (3 was read from the store)
    delivery.close();
  });

  test('close clears every timer, is idempotent, and later pushes are ignored', async () => {
    const { delivery, out, fetches } = setup([], { gapTimeoutMs: 10 });
    delivery.push(R, [msg(R, 1)]);
    delivery.push(R, [msg(R, 3)]);
    delivery.push('room-2', [msg('room-2', 1)]);
    delivery.push('room-2', [msg('room-2', 5)]);
    expect(jest.getTimerCount()).toBe(2);
    delivery.close();
    delivery.close();
    expect(jest.getTimerCount()).toBe(0);
    delivery.push(R, [msg(R, 2)]);
    await jest.advanceTimersByTimeAsync(100);
    expect(fetches).toEqual([]);
    expect(seqs(out)).toEqual([[1], [1]]); // room-1's 1, room-2's 1; nothing after close
  });
});
