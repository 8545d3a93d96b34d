import type { ChatMessage } from '@chat/protocol';
import { createTokenService } from '@chat/auth';
import { connectError } from '../client';
import type { TestClient } from '../client';
import { newSession, request } from '../http';
import { randomSuffix, waitUntil } from '../wait';
import { UNKNOWN_ROOM, expectStillUp, lazyTarget } from './context';
import type { WireContext } from './context';

/** socket.io: handshake, joins and leaves, messages, history, limits, transports. */
export function socketSuite(ctx: WireContext): void {
  const open = ctx.open;
  const t = lazyTarget(ctx);
  const stillUp = () => expectStillUp(t);

  describe('socket.io', () => {
    test('handshake refuses missing, garbage, tampered, foreign and expired tokens', async () => {
      const a = await newSession(t.url);
      const tampered = a.token.slice(0, -3) + (a.token.endsWith('AAA') ? 'BBB' : 'AAA');
      const foreign = await createTokenService({ secret: 'x'.repeat(40), ttlSec: 60 }).issue({ userId: a.userId, nickName: a.nickName, headNum: 0 });
      const expired = await createTokenService({ secret: t.tokenSecret, ttlSec: -60 }).issue({ userId: a.userId, nickName: a.nickName, headNum: 0 });
      for (const auth of [{}, { token: '' }, { token: 'garbage' }, { token: tampered }, { token: foreign }, { token: expired }, { token: 42 }]) {
        expect(await connectError(t.url, { auth })).toBe('unauthorized');
      }
      expect(await connectError(t.url, { token: a.token, roomId: UNKNOWN_ROOM })).toBe('not_found');
      // Ids are strict at the handshake too: the real room's id with a trailing space is not that room.
      expect(await connectError(t.url, { token: a.token, roomId: `${a.roomId} ` })).toBe('bad_request');
      expect(await connectError(t.url, { token: a.token, roomId: 'room_nope' })).toBe('bad_request');
      // A good token next to a malformed option is a bad request, not a refused identity.
      expect(await connectError(t.url, { auth: { token: a.token, roomId: 42 } })).toBe('bad_request');
    });

    test('joining announces the join once and sends members to everyone, joiner included', async () => {
      const a = await newSession(t.url);
      const b = await newSession(t.url, { chatroomName: a.chatroomName });
      const ca = await open(t.url, { token: a.token, roomId: a.roomId });
      const join = await ca.waitForMessage((m) => m.event === 'join' && m.userId === a.userId, 'own join');
      expect(join).toMatchObject({
        roomId: a.roomId,
        kind: 'system',
        event: 'join',
        nickName: a.nickName,
        seq: expect.any(Number),
        id: expect.any(String),
        sentAt: expect.any(String),
      });
      const cb = await open(t.url, { token: b.token, roomId: b.roomId });
      await ca.waitForMessage((m) => m.event === 'join' && m.userId === b.userId, 'b join seen by a');
      const both = (u: { members: Array<{ userId: string }> }) => u.members.length === 2;
      const ua = await ca.waitForMembers(both, 'a sees two members');
      await cb.waitForMembers(both, 'b (the joiner) sees two members');
      expect(ua.roomId).toBe(a.roomId);
      expect(ua.members).toEqual(
        expect.arrayContaining([
          { userId: a.userId, nickName: a.nickName, headNum: a.headNum },
          { userId: b.userId, nickName: b.nickName, headNum: b.headNum },
        ]),
      );
      // A second tab of b: no second join message.
      const cb2 = await open(t.url, { token: b.token, roomId: b.roomId });
      await cb2.waitForMembers(both, 'second tab gets members');
      cb2.close();
      // b closes the last tab: one leave.
      const r = await ca.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'marker' });
      expect(r.ok).toBe(true);
      cb.close();
      await ca.waitForMessage((m) => m.event === 'leave' && m.userId === b.userId, 'b leave');
      await ca.waitForMembers((u) => u.members.length === 1 && u.members[0]!.userId === a.userId, 'members after leave');
      expect(ca.messages.filter((m) => m.event === 'join' && m.userId === b.userId)).toHaveLength(1);
      expect(ca.messages.filter((m) => m.event === 'leave' && m.userId === b.userId)).toHaveLength(1);
      const history = await ca.request<{ messages: ChatMessage[] }>('history', { roomId: a.roomId });
      if (!history.ok) throw new Error('history failed');
      expect(history.messages.filter((m) => m.kind === 'system').map((m) => `${m.event}:${m.userId}`)).toEqual([
        `join:${a.userId}`,
        `join:${b.userId}`,
        `leave:${b.userId}`,
      ]);
    });

    test('message is acked after storage, broadcast to the room with seq growing by one, identity from the token', async () => {
      const a = await newSession(t.url);
      const b = await newSession(t.url, { chatroomName: a.chatroomName });
      const ca = await open(t.url, { token: a.token, roomId: a.roomId });
      const cb = await open(t.url, { token: b.token, roomId: b.roomId });
      await ca.waitForMessage((m) => m.event === 'join' && m.userId === b.userId);
      const sent: ChatMessage[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await ca.request<{ message: ChatMessage }>('message', {
          roomId: a.roomId,
          content: `hello ${i}`,
          userId: b.userId,
          nickName: 'forged',
          sendUserId: b.userId,
        });
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        sent.push(r.message);
      }
      for (const m of sent) expect(m).toMatchObject({ userId: a.userId, nickName: a.nickName, kind: 'user', roomId: a.roomId });
      for (let i = 1; i < sent.length; i++) expect(sent[i]!.seq).toBe(sent[i - 1]!.seq + 1);
      const last = sent[sent.length - 1]!;
      await cb.waitForMessage((m) => m.id === last.id, 'b receives');
      await ca.waitForMessage((m) => m.id === last.id, 'sender receives its own');
      const got = cb.messages.filter((m) => m.kind === 'user');
      expect(got).toEqual(sent);
      const seqs = cb.messages.map((m) => m.seq);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    });

    test('same clientMsgId from the same user is stored once and both acks carry the same message', async () => {
      const a = await newSession(t.url);
      const ca = await open(t.url, { token: a.token, roomId: a.roomId });
      await ca.waitForMessage((m) => m.event === 'join');
      const payload = { roomId: a.roomId, content: 'once', clientMsgId: `c-${randomSuffix()}` };
      const [r1, r2] = await Promise.all([ca.request<{ message: ChatMessage }>('message', payload), ca.request<{ message: ChatMessage }>('message', payload)]);
      const r3 = await ca.request<{ message: ChatMessage }>('message', payload);
      if (!r1.ok || !r2.ok || !r3.ok) throw new Error('send failed');
      expect(r2.message).toEqual(r1.message);
      expect(r3.message).toEqual(r1.message);
      expect(r1.message.clientMsgId).toBe(payload.clientMsgId);
      const h = await ca.request<{ messages: ChatMessage[] }>('history', { roomId: a.roomId });
      if (!h.ok) throw new Error('history failed');
      expect(h.messages.filter((m) => m.content === 'once')).toHaveLength(1);
      // Another user may use the same clientMsgId.
      const b = await newSession(t.url, { chatroomName: a.chatroomName });
      const cb = await open(t.url, { token: b.token, roomId: b.roomId });
      const rb = await cb.request<{ message: ChatMessage }>('message', payload);
      if (!rb.ok) throw new Error('b send failed');
      expect(rb.message.id).not.toBe(r1.message.id);
    });

    test("delivery 'batch' gets every message once and in seq order as `messages` frames, next to `message` receivers", async () => {
      const a = await newSession(t.url);
      const b = await newSession(t.url, { chatroomName: a.chatroomName });
      const ca = await open(t.url, { token: a.token, roomId: a.roomId });
      const cb = await open(t.url, { token: b.token, roomId: b.roomId, delivery: 'batch' });
      await ca.waitForMessage((m) => m.event === 'join' && m.userId === b.userId, 'b join seen by a');
      await cb.waitForMessage((m) => m.event === 'join' && m.userId === b.userId, 'b sees its own join, batched');
      // Sent together, so they reach the server within one delivery window.
      const acks = await Promise.all(
        Array.from({ length: 30 }, (_, i) => ca.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: `b${i}` })),
      );
      const sent = acks.map((r) => {
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return r.message;
      });
      const lastSeq = Math.max(...sent.map((m) => m.seq));
      await cb.waitForMessage((m) => m.seq === lastSeq, 'b receives the last message');
      await ca.waitForMessage((m) => m.seq === lastSeq, 'a receives the last message');
      const userMessages = (c: TestClient) => c.messages.filter((m) => m.kind === 'user');
      expect(userMessages(cb)).toEqual([...sent].sort((x, y) => x.seq - y.seq));
      expect(userMessages(ca)).toEqual(userMessages(cb));
      const seqs = cb.messages.map((m) => m.seq);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
      expect(cb.singleMessages).toBe(0);
      expect(cb.batches.every((x) => x.roomId === a.roomId && x.messages.length > 0)).toBe(true);
      expect(cb.batches.length).toBeLessThan(cb.messages.length);
      expect(ca.batches).toHaveLength(0);
      // Anything but 'each' or 'batch' is refused at the handshake.
      expect(await connectError(t.url, { auth: { token: b.token, delivery: 'all' } })).toBe('bad_request');
    });

    test('history over the socket pages by seq and is limited to 200', async () => {
      const a = await newSession(t.url);
      const ca = await open(t.url, { token: a.token, roomId: a.roomId });
      await ca.waitForMessage((m) => m.event === 'join');
      for (let i = 0; i < 8; i++) await ca.request('message', { roomId: a.roomId, content: `h${i}` });
      const newest = await ca.request<{ messages: ChatMessage[]; hasMore: boolean }>('history', { roomId: a.roomId, limit: 3 });
      if (!newest.ok) throw new Error('history failed');
      expect(newest.messages.map((m) => m.content)).toEqual(['h5', 'h6', 'h7']);
      expect(newest.hasMore).toBe(true);
      const older = await ca.request<{ messages: ChatMessage[]; hasMore: boolean }>('history', {
        roomId: a.roomId,
        before: newest.messages[0]!.seq,
        limit: 200,
      });
      if (!older.ok) throw new Error('history failed');
      expect(older.messages.map((m) => m.content)).toEqual([`${a.nickName} joined the room`, 'h0', 'h1', 'h2', 'h3', 'h4']);
      expect(older.hasMore).toBe(false);
      const tooMany = await ca.request('history', { roomId: a.roomId, limit: 201 });
      expect(tooMany).toEqual({ ok: false, error: { code: 'bad_request', message: expect.any(String) } });
    });

    test('join and leave events with acks; not_member and not_found', async () => {
      const a = await newSession(t.url);
      const other = await newSession(t.url);
      const c = await open(t.url, { token: a.token });
      expect(await c.request('message', { roomId: a.roomId, content: 'x' })).toEqual({ ok: false, error: { code: 'not_member', message: expect.any(String) } });
      expect(await c.request('history', { roomId: a.roomId })).toMatchObject({ ok: false, error: { code: 'not_member' } });
      expect(await c.request('leave', { roomId: a.roomId })).toMatchObject({ ok: false, error: { code: 'not_member' } });
      expect(await c.request('join', { roomId: UNKNOWN_ROOM })).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await c.request('join', { roomId: `${a.roomId} ` })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(await c.request('join', { roomId: a.roomId })).toEqual({ ok: true });
      await c.waitForMessage((m) => m.event === 'join' && m.roomId === a.roomId);
      expect(await c.request('join', { roomId: other.roomId })).toEqual({ ok: true });
      expect((await c.request('message', { roomId: other.roomId, content: 'in two rooms' })).ok).toBe(true);
      expect(await c.request('leave', { roomId: a.roomId })).toEqual({ ok: true });
      expect(await c.request('message', { roomId: a.roomId, content: 'x' })).toMatchObject({ ok: false, error: { code: 'not_member' } });
      const watcher = await open(t.url, { token: other.token, roomId: other.roomId });
      const h = await watcher.request<{ messages: ChatMessage[] }>('history', { roomId: other.roomId });
      if (!h.ok) throw new Error('history failed');
      expect(h.messages.find((m) => m.content === 'in two rooms')).toMatchObject({ userId: a.userId, roomId: other.roomId });
    });

    test('bad input gets a code, the connection and the process stay up', async () => {
      const a = await newSession(t.url);
      const c = await open(t.url, { token: a.token, roomId: a.roomId });
      await c.waitForMessage((m) => m.event === 'join');
      const bad: Array<[string, unknown, string]> = [
        ['message', undefined, 'bad_request'],
        ['message', null, 'bad_request'],
        ['message', 'text', 'bad_request'],
        ['message', { roomId: a.roomId }, 'bad_request'],
        ['message', { roomId: a.roomId, content: '' }, 'bad_request'],
        ['message', { roomId: a.roomId, content: 42 }, 'bad_request'],
        ['message', { roomId: 42, content: 'x' }, 'bad_request'],
        ['message', { roomId: a.roomId, content: 'x', clientMsgId: 'c'.repeat(65) }, 'bad_request'],
        ['message', { roomId: a.roomId, content: 'x'.repeat(4001) }, 'too_large'],
        ['message', { roomId: a.roomId, content: 'y'.repeat(100_000) }, 'too_large'],
        ['message', { roomId: UNKNOWN_ROOM, content: 'x' }, 'not_member'],
        ['message', { roomId: `${a.roomId} `, content: 'x' }, 'bad_request'],
        ['message', { roomId: a.roomId.toUpperCase(), content: 'x' }, 'bad_request'],
        ['message', { roomId: a.roomId, content: 'lone \ud800 surrogate' }, 'bad_request'],
        ['history', { roomId: a.roomId, before: 5, after: 1 }, 'bad_request'],
        ['history', { roomId: a.roomId, before: 'x' }, 'bad_request'],
        ['history', { roomId: a.roomId, limit: -1 }, 'bad_request'],
        ['history', [], 'bad_request'],
        ['join', {}, 'bad_request'],
        ['join', { roomId: 'r'.repeat(1000) }, 'bad_request'],
        ['leave', 7, 'bad_request'],
        ['no_such_event', { a: 1 }, 'bad_request'],
      ];
      for (const [event, payload, code] of bad) {
        const reply = await c.request(event, payload);
        expect({ event, payload: String(JSON.stringify(payload)).slice(0, 40), reply }).toEqual({
          event,
          payload: String(JSON.stringify(payload)).slice(0, 40),
          reply: { ok: false, error: { code, message: expect.any(String) } },
        });
      }
      // Without an ack callback the error arrives as a chat_error event.
      c.socket.emit('message', { roomId: a.roomId });
      await waitUntil(() => c.errors.find((e) => e.code === 'bad_request' && e.event === 'message'), { what: 'chat_error' });
      expect(c.socket.connected).toBe(true);
      const ok = await c.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'x'.repeat(4000) });
      expect(ok.ok).toBe(true);
      await stillUp();
    });

    test('injection-looking and script-looking content is stored and returned verbatim', async () => {
      const a = await newSession(t.url);
      const c = await open(t.url, { token: a.token, roomId: a.roomId });
      const contents = [
        "'; DROP TABLE messages; --",
        '<script>alert(1)</script>',
        "Robert'); DELETE FROM rooms WHERE ('1'='1",
        '😀 \\ " \u0000 \n tab\t',
        '%s %d ${x} {{x}}',
      ];
      for (const content of contents) {
        const r = await c.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content });
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        expect(r.message.content).toBe(content);
      }
      const h = await c.request<{ messages: ChatMessage[] }>('history', { roomId: a.roomId });
      if (!h.ok) throw new Error('history failed');
      expect(h.messages.filter((m) => m.kind === 'user').map((m) => m.content)).toEqual(contents);
      expect((await request(t.url, 'GET', '/api/v1/rooms/count')).status).toBe(200);
    });

    test('sending faster than the limit is rate_limited and the connection stays usable', async () => {
      const a = await newSession(t.url);
      const c = await open(t.url, { token: a.token, roomId: a.roomId });
      const replies = await Promise.all(
        Array.from({ length: t.messagePointsPerWindow + 10 }, (_, i) => c.request('message', { roomId: a.roomId, content: `r${i}` }, 15_000)),
      );
      const limited = replies.filter((r) => !r.ok);
      expect(limited.length).toBeGreaterThanOrEqual(10);
      for (const r of limited) expect(r).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      // The sends within the limit went through: the limit refuses what is over it, not everything.
      expect(replies.filter((r) => r.ok).length).toBeGreaterThanOrEqual(t.messagePointsPerWindow - 10);
      expect(c.socket.connected).toBe(true);
      expect((await c.request('history', { roomId: a.roomId, limit: 1 })).ok).toBe(true);
    });

    test('a client that starts on HTTP long-polling and upgrades works', async () => {
      const a = await newSession(t.url);
      const c = await open(t.url, { token: a.token, roomId: a.roomId, transports: ['polling', 'websocket'] });
      await c.waitForMessage((m) => m.event === 'join');
      await waitUntil(() => (c.socket.io.engine as unknown as { transport: { name: string } }).transport.name === 'websocket', { what: 'upgrade' });
      const r = await c.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'after upgrade' });
      expect(r.ok).toBe(true);
      await c.waitForMessage((m) => m.content === 'after upgrade');
    });
  });
}
