import { ClientError, CONTENT_MAX, HISTORY_PAGE_MAX, Outbox } from '../src';
import { LIMITS } from '@chat/protocol';
import type { ChatMessage } from '@chat/protocol';

const A = 'room_' + 'a'.repeat(32);
const B = 'room_' + 'b'.repeat(32);
const stored = (roomId: string, clientMsgId: string, seq: number): ChatMessage => ({
  id: `m${seq}`,
  roomId,
  seq,
  userId: 'user_' + '1'.repeat(32),
  nickName: 'ada',
  content: 'x',
  sentAt: new Date(0).toISOString(),
  kind: 'user',
  clientMsgId,
});
const ready = () => true;

test('the client checks the limits the server enforces', () => {
  expect(CONTENT_MAX).toBe(LIMITS.contentMax);
  expect(HISTORY_PAGE_MAX).toBe(LIMITS.historyMax);
});

test('every message gets its own clientMsgId and keeps it across attempts', async () => {
  const o = new Outbox();
  const a = o.add(A, 'one', 0);
  const b = o.add(A, 'two', 0);
  expect(a.clientMsgId).not.toBe(b.clientMsgId);
  expect(a.clientMsgId.length).toBeLessThanOrEqual(LIMITS.clientMsgIdMax);
  const [first] = o.due(0, ready, 1);
  expect(first!.clientMsgId).toBe(a.clientMsgId);
  o.interrupted();
  const [again] = o.due(0, ready, 1);
  expect(again).toMatchObject({ clientMsgId: a.clientMsgId, attempts: 2 });
  o.acked(a.clientMsgId, stored(A, a.clientMsgId, 7));
  await expect(a.stored).resolves.toMatchObject({ seq: 7 });
});

test('queued while the room is not ready (offline), sent in order once it is', () => {
  const o = new Outbox();
  const ids = ['1', '2', '3'].map((c) => o.add(A, c, 0).clientMsgId);
  expect(o.due(0, () => false, 16)).toEqual([]);
  expect(o.list().map((m) => m.state)).toEqual(['queued', 'queued', 'queued']);
  expect(o.due(0, ready, 16).map((m) => m.clientMsgId)).toEqual(ids);
  expect(o.list().every((m) => m.state === 'sending')).toBe(true);
});

test('at most maxInFlight are in flight; an ack makes room for the next', () => {
  const o = new Outbox();
  const ids = [1, 2, 3].map((i) => o.add(A, `m${i}`, 0).clientMsgId);
  expect(o.due(0, ready, 2)).toHaveLength(2);
  expect(o.due(0, ready, 2)).toHaveLength(0);
  o.acked(ids[0]!, stored(A, ids[0]!, 1));
  expect(o.due(0, ready, 2).map((m) => m.clientMsgId)).toEqual([ids[2]]);
});

test('a transient refusal waits for retryAfterSec (or a backoff), holding back later messages of that room only', async () => {
  const o = new Outbox();
  const a1 = o.add(A, 'a1', 0);
  const a2 = o.add(A, 'a2', 0);
  const b1 = o.add(B, 'b1', 0);
  o.due(0, ready, 1);
  o.failed(a1.clientMsgId, 1, new ClientError('rate_limited', 'slow down', 2), 100);
  expect(o.nextRetryAt()).toBe(2100);
  // a2 waits behind a1; b1 goes.
  expect(o.due(200, ready, 16).map((m) => m.clientMsgId)).toEqual([b1.clientMsgId]);
  expect(o.due(2100, ready, 16).map((m) => m.clientMsgId)).toEqual([a1.clientMsgId, a2.clientMsgId]);
  o.failed(a2.clientMsgId, 1, new ClientError('unavailable'), 2200);
  expect(o.list(A).find((m) => m.clientMsgId === a2.clientMsgId)).toMatchObject({ state: 'retrying', lastError: 'unavailable', retryAt: 2450 });
});

test('a permanent refusal rejects the send and removes it', async () => {
  const o = new Outbox();
  const a = o.add(A, 'x'.repeat(10), 0);
  o.due(0, ready, 1);
  o.failed(a.clientMsgId, 1, new ClientError('too_large'), 0);
  await expect(a.stored).rejects.toMatchObject({ code: 'too_large' });
  expect(o.size).toBe(0);
});

test('the outcome of an attempt that is no longer current is ignored; an ack always counts', async () => {
  const o = new Outbox();
  const a = o.add(A, 'x', 0);
  o.due(0, ready, 1);
  o.interrupted();
  o.due(0, ready, 1);
  // The first attempt's timeout arrives late.
  o.failed(a.clientMsgId, 1, new ClientError('timeout'), 0);
  expect(o.list()[0]!.state).toBe('sending');
  o.acked(a.clientMsgId, stored(A, a.clientMsgId, 3));
  o.acked(a.clientMsgId, stored(A, a.clientMsgId, 3));
  await expect(a.stored).resolves.toMatchObject({ seq: 3 });
});

test('leaving a room rejects its messages; closing rejects all', async () => {
  const o = new Outbox();
  const a = o.add(A, 'a', 0);
  const b = o.add(B, 'b', 0);
  o.dropRoom(A, new ClientError('closed'));
  await expect(a.stored).rejects.toMatchObject({ code: 'closed' });
  expect(o.list().map((m) => m.roomId)).toEqual([B]);
  o.rejectAll(new ClientError('closed'));
  await expect(b.stored).rejects.toMatchObject({ code: 'closed' });
});
