import type { ChatMessage } from '@chat/protocol';
import { connect, connectError, createClientPool, newSession, request, waitUntil } from '@chat/testkit';
import type { TestClient } from '@chat/testkit';
import { embeddedTarget } from './targets';

const msgpackParser = require('socket.io-msgpack-parser') as unknown;

/** The internals of socket.io-client's Socket used to send a packet its API refuses to send (a reserved event name). */
interface RawSocket {
  ids: number;
  acks: Record<number, (...args: unknown[]) => void>;
  packet(packet: { type: number; data: unknown[]; id?: number }): void;
}

/** Sends `[event, payload]` as an EVENT packet with an ack, bypassing the client's reserved-name check. */
function rawRequest(c: TestClient, event: string, payload: unknown): Promise<unknown> {
  const raw = c.socket as unknown as RawSocket;
  return new Promise((resolve) => {
    const id = raw.ids++;
    raw.acks[id] = (reply: unknown) => resolve(reply);
    raw.packet({ type: 2, data: [event, payload], id });
  });
}

describe('SOCKET_PARSER=msgpack', () => {
  let t: Awaited<ReturnType<typeof embeddedTarget>>;
  const pool = createClientPool();
  beforeAll(async () => {
    t = await embeddedTarget({ env: { SOCKET_PARSER: 'msgpack', CONNECTIONS_PER_USER_MAX: '1' } });
  }, 60_000);
  afterEach(() => pool.closeAll());
  afterAll(() => t?.close());

  test('works end to end: join, send, receive, history', async () => {
    const a = await newSession(t.url);
    const b = await newSession(t.url, { chatroomName: a.chatroomName });
    const ca = await pool.open(t.url, { token: a.token, roomId: a.roomId, parser: msgpackParser });
    const cb = await pool.open(t.url, { token: b.token, roomId: b.roomId, parser: msgpackParser, delivery: 'batch' });
    await ca.waitForMessage((m) => m.event === 'join' && m.userId === b.userId, "b's join");
    const sent = await ca.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'packed' });
    if (!sent.ok) throw new Error(JSON.stringify(sent.error));
    await cb.waitForMessage((m) => m.id === sent.message.id, 'b receives it, batched');
    const h = await cb.request<{ messages: ChatMessage[] }>('history', { roomId: a.roomId });
    expect(h.ok && h.messages.map((m) => m.content)).toContain('packed');
  });

  test('a client-sent event with a reserved name (disconnect, error, …) is refused and changes nothing', async () => {
    const a = await newSession(t.url);
    const c = await pool.open(t.url, { token: a.token, roomId: a.roomId, parser: msgpackParser });
    await c.waitForMembers((u) => u.members.some((m) => m.userId === a.userId), 'online');
    for (const event of ['disconnect', 'disconnecting', 'error', 'connect', 'newListener', 'removeListener']) {
      expect({ event, reply: await rawRequest(c, event, { reason: 'forged' }) }).toEqual({
        event,
        reply: { ok: false, error: { code: 'bad_request', message: expect.any(String) } },
      });
    }
    // Still connected, still in the room and online, still holding its one connection slot.
    expect(c.socket.connected).toBe(true);
    expect((await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}/members`)).body.members).toEqual([expect.objectContaining({ userId: a.userId })]);
    expect(await connectError(t.url, { token: a.token, parser: msgpackParser })).toBe('limit_exceeded');
    expect((await c.request('message', { roomId: a.roomId, content: 'still in' })).ok).toBe(true);
    expect((await request(t.url, 'GET', '/healthz')).status).toBe(200);
  });

  test('the JSON parser refuses them too (socket.io-parser drops the connection), and the node stays up', async () => {
    const json = await embeddedTarget({});
    try {
      const a = await newSession(json.url);
      const c = await connect(json.url, { token: a.token, roomId: a.roomId });
      const gone = new Promise<string>((resolve) => c.socket.once('disconnect', resolve));
      (c.socket as unknown as RawSocket).packet({ type: 2, data: ['disconnect', {}] });
      expect(await gone).toBe('transport close');
      await waitUntil(async () => (await request(json.url, 'GET', '/healthz')).status === 200, { what: 'the node up' });
    } finally {
      await json.close();
    }
  });
});
