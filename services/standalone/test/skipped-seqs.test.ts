import { createClientPool, newSession } from '@chat/testkit';
import type { TestClient, WireTarget } from '@chat/testkit';
import { embeddedTarget } from './targets';

type ChatMessage = TestClient['messages'][number];

/**
 * A send reserves its seq alongside its admission checks, so a send refused
 * after that (an already stored clientMsgId, the rate limit) leaves a seq that
 * will never be stored. The room's nodes are told to skip it: with the gap
 * timeout at 60 s, a receiver that waited for the seq instead would not see
 * the next message within the 5 s these tests wait.
 */
describe('skipped seqs do not hold up a room', () => {
  let t: WireTarget;
  const pool = createClientPool();
  const open = pool.open;
  const send = async (c: TestClient, payload: object): Promise<ChatMessage> => {
    const r = await c.request<{ message: ChatMessage }>('message', payload);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.message;
  };

  beforeAll(async () => {
    t = await embeddedTarget({ env: { GAP_TIMEOUT_MS: '60000', MESSAGE_RATE_LIMIT: '3/60' } });
  }, 60_000);
  afterEach(() => pool.closeAll());
  afterAll(() => t?.close());

  /** A sender and a receiver in a fresh room, both joined. */
  async function pair() {
    const a = await newSession(t.url);
    const b = await newSession(t.url, { chatroomName: a.chatroomName });
    const ca = await open(t.url, { token: a.token, roomId: a.roomId });
    const cb = await open(t.url, { token: b.token, roomId: b.roomId });
    await ca.waitForMessage((m) => m.event === 'join' && m.userId === b.userId, 'b joined');
    return { a, b, ca, cb };
  }

  test('a resent clientMsgId gets the stored message, and the seq it took is skipped', async () => {
    const { a, ca, cb } = await pair();
    const payload = { roomId: a.roomId, content: 'once', clientMsgId: 'resent-1' };
    const first = await send(ca, payload);
    expect(await send(ca, payload)).toEqual(first);
    const next = await send(ca, { roomId: a.roomId, content: 'after the resend' });
    // The resend took the seq between them.
    expect(next.seq).toBe(first.seq + 2);
    await cb.waitForMessage((m) => m.id === next.id, 'the message after the skipped seq');
    expect(cb.messages.filter((m) => m.kind === 'user').map((m) => m.seq)).toEqual([first.seq, next.seq]);
    const history = await cb.request<{ messages: ChatMessage[] }>('history', { roomId: a.roomId });
    if (!history.ok) throw new Error('history failed');
    expect(history.messages.map((m) => m.seq)).not.toContain(first.seq + 1);
  });

  test('a resend written in one burst with new sends fails alone: the new ones are stored and delivered', async () => {
    const { a, b, ca, cb } = await pair();
    const payload = { roomId: a.roomId, content: 'once', clientMsgId: 'resent-2' };
    const first = await send(ca, payload);
    // Sent together, so the resend's refused row is likely in the same group commit as b's new rows.
    const [resent, b1, b2] = await Promise.all([
      send(ca, payload),
      send(cb, { roomId: b.roomId, content: 'b new 1', clientMsgId: 'b-1' }),
      send(cb, { roomId: b.roomId, content: 'b new 2', clientMsgId: 'b-2' }),
    ]);
    expect(resent).toEqual(first);
    expect(new Set([first.seq, b1.seq, b2.seq]).size).toBe(3);
    for (const m of [b1, b2]) await ca.waitForMessage((x) => x.id === m.id, `a receives ${m.content}`);
    const history = await cb.request<{ messages: ChatMessage[] }>('history', { roomId: a.roomId });
    if (!history.ok) throw new Error('history failed');
    const contents = history.messages.filter((m) => m.kind === 'user').map((m) => m.content);
    expect(contents.sort()).toEqual(['b new 1', 'b new 2', 'once']);
  });

  test('a send refused by the rate limit is skipped; later refusals of that user take no seq', async () => {
    const { a, b, ca, cb } = await pair();
    for (let i = 0; i < 3; i++) await send(ca, { roomId: a.roomId, content: `within the limit ${i}` });
    const refused = await ca.request('message', { roomId: a.roomId, content: 'over the limit' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    const fromB = await send(cb, { roomId: b.roomId, content: 'b after the refusal' });
    await ca.waitForMessage((m) => m.id === fromB.id, 'the message after the skipped seq');
    // Refused again, now by this node's memory of the verdict: no seq is taken.
    expect(await ca.request('message', { roomId: a.roomId, content: 'still over' })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    const again = await send(cb, { roomId: b.roomId, content: 'b again' });
    expect(again.seq).toBe(fromB.seq + 1);
    await ca.waitForMessage((m) => m.id === again.id, 'the next message');
  });
});
