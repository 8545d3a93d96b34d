import type { StoredMessage } from '@chat/store';
import { createMessageWriter } from '../src/message-writer';

// The writer's batching logic against a recording store (the real stores are
// covered by packages/store's contract suite on MySQL and SQLite).
function recordingStore(opts: { failIf?: (m: StoredMessage) => boolean } = {}) {
  const batches: number[][] = [];
  return {
    batches,
    async appendMessages(batch: readonly StoredMessage[]) {
      if (batch.some((m) => opts.failIf?.(m))) throw new Error('duplicate key');
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

test('one bad row fails only its own writer: the group is retried row by row', async () => {
  const store = recordingStore({ failIf: (m) => m.seq === 2 });
  const failed: boolean[] = [];
  const writer = createMessageWriter({ store, maxDelayMs: 2, onCommit: (_n, _s, f) => failed.push(f) });
  const results = await Promise.allSettled([1, 2, 3].map((s) => writer.write(msg(s))));
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(store.batches.flat().sort()).toEqual([1, 3]);
  expect(failed).toContain(true);
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
