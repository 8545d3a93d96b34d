import type { StoredMessage } from '@chat/store';
import { createMessageWriter } from '../src/message-writer';

// The writer's batching logic against a recording store (the real stores are
// covered by packages/store's contract suite on MySQL and SQLite).
function recordingStore(opts: { failIf?: (m: StoredMessage) => boolean; error?: () => unknown } = {}) {
  const batches: number[][] = [];
  let calls = 0;
  return {
    batches,
    calls: () => calls,
    async appendMessages(batch: readonly StoredMessage[]) {
      calls++;
      if (batch.some((m) => opts.failIf?.(m))) throw opts.error?.() ?? Object.assign(new Error('duplicate key'), { code: 'ER_DUP_ENTRY' });
      batches.push(batch.map((m) => m.seq));
    },
  };
}

const msg = (seq: number): StoredMessage => ({
  id: `m${seq}`,
  roomId: 'r',
  seq,
  userId: 'u',
  nickName: 'n',
  content: `c${seq}`,
  kind: 'user',
  sentAt: 1,
});

test('writes of one moment go in one insert; onCommitted runs before the writers are released', async () => {
  const store = recordingStore();
  const order: string[] = [];
  const writer = createMessageWriter({ store, maxDelayMs: 2, onCommitted: (b) => order.push(`committed ${b.length}`) });
  await Promise.all([1, 2, 3].map((s) => writer.write(msg(s)).then(() => order.push(`acked ${s}`))));
  expect(store.batches).toEqual([[1, 2, 3]]);
  expect(order[0]).toBe('committed 3');
  await writer.close();
});

test('maxBatch splits big bursts, in order', async () => {
  const store = recordingStore();
  const writer = createMessageWriter({ store, maxDelayMs: 2, maxBatch: 2 });
  await Promise.all([1, 2, 3, 4, 5].map((s) => writer.write(msg(s))));
  expect(store.batches.flat()).toEqual([1, 2, 3, 4, 5]);
  expect(Math.max(...store.batches.map((b) => b.length))).toBe(2);
  await writer.close();
});

test('a refused row fails only its own writer: the group is halved until it is alone', async () => {
  const store = recordingStore({ failIf: (m) => m.seq === 6 });
  const failed: boolean[] = [];
  const writer = createMessageWriter({ store, maxDelayMs: 2, onCommit: (_n, _s, f) => failed.push(f) });
  const seqs = Array.from({ length: 16 }, (_, i) => i + 1);
  const results = await Promise.allSettled(seqs.map((s) => writer.write(msg(s))));
  expect(results.map((r) => r.status === 'rejected')).toEqual(seqs.map((s) => s === 6));
  expect(store.batches.flat().sort((a, b) => a - b)).toEqual(seqs.filter((s) => s !== 6));
  // 16 -> 8 -> 4 -> 2 -> 1: two inserts per level below the first, not one per row.
  expect(store.calls()).toBe(1 + 2 * 4);
  expect(failed).toContain(true);
  await writer.close();
});

test('a failure that is not a refused row (an outage) is tried row by row once, never halved deeper', async () => {
  const store = recordingStore({ failIf: () => true, error: () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  const writer = createMessageWriter({ store, maxDelayMs: 2 });
  const results = await Promise.allSettled([1, 2, 3, 4].map((s) => writer.write(msg(s))));
  expect(results.every((r) => r.status === 'rejected')).toBe(true);
  expect(store.calls()).toBe(1 + 4);
  await writer.close();
});

test('close commits what is queued, is idempotent, and refuses later writes', async () => {
  const store = recordingStore();
  const writer = createMessageWriter({ store, maxDelayMs: 50 });
  const pending = writer.write(msg(1));
  await Promise.all([writer.close(), writer.close()]);
  await expect(pending).resolves.toBeUndefined();
  expect(store.batches).toEqual([[1]]);
  await expect(writer.write(msg(2))).rejects.toThrow('closed');
});

test('without group commit (maxBatch 1) every message is its own insert', async () => {
  const store = recordingStore();
  const writer = createMessageWriter({ store, maxDelayMs: 0, maxBatch: 1, concurrency: 16 });
  await Promise.all([1, 2, 3].map((s) => writer.write(msg(s))));
  expect(store.batches).toEqual([[1], [2], [3]]);
  await writer.close();
});
