import mysql from 'mysql2/promise';
import { createClientPool, newSession, request, waitUntil } from '@chat/testkit';
import { embeddedTarget } from './targets';

/**
 * The message store fails while presence works: here the messages table is
 * renamed away on the embedded server's own MySQL database, so every INSERT
 * fails and everything else (rooms, users, memberships, presence) still works.
 */
describe('a message store outage', () => {
  let t: Awaited<ReturnType<typeof embeddedTarget>>;
  let db: mysql.Connection;
  const pool = createClientPool();

  beforeAll(async () => {
    t = await embeddedTarget({ mysql: true });
    db = await mysql.createConnection(t.mysqlUrl!);
  }, 60_000);
  afterEach(async () => {
    pool.closeAll();
    for (const table of ['messages', 'rooms']) await db.query(`RENAME TABLE ${table}_away TO ${table}`).catch(() => undefined);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const online = async (roomId: string): Promise<number> => (await request(t.url, 'GET', `/api/v1/rooms/${roomId}`)).body.online;

  test('a join whose announcement cannot be stored fails with unavailable and leaves no ghost online', async () => {
    const a = await newSession(t.url);
    await db.query('RENAME TABLE messages TO messages_away');
    const ca = await pool.open(t.url, { token: a.token, roomId: a.roomId });
    const failure = await waitUntil(() => ca.errors.find((e) => e.event === 'join'), { what: 'the join error' });
    expect(failure.code).toBe('unavailable');
    expect(await online(a.roomId)).toBe(0);

    // The store is back: the same connection joins, and is online once.
    await db.query('RENAME TABLE messages_away TO messages');
    const joined = await ca.request('join', { roomId: a.roomId });
    expect(joined).toMatchObject({ ok: true });
    await ca.waitForMessage((m) => m.event === 'join' && m.userId === a.userId, 'the join announcement');
    expect(await online(a.roomId)).toBe(1);
  });

  test('a send during the outage is refused with unavailable; its resend afterwards is stored once and reaches the room', async () => {
    const a = await newSession(t.url);
    const b = await newSession(t.url, { chatroomName: a.chatroomName });
    const ca = await pool.open(t.url, { token: a.token, roomId: a.roomId });
    const cb = await pool.open(t.url, { token: b.token, roomId: b.roomId });
    await ca.waitForMessage((m) => m.event === 'join' && m.userId === b.userId, 'b joined');
    const payload = { roomId: a.roomId, content: 'through the outage', clientMsgId: 'outage-1' };

    await db.query('RENAME TABLE messages TO messages_away');
    expect(await ca.request('message', payload)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    await db.query('RENAME TABLE messages_away TO messages');

    const resent = await ca.request<{ message: { id: string; seq: number } }>('message', payload);
    if (!resent.ok) throw new Error(JSON.stringify(resent.error));
    // The refused send's seq is a gap receivers wait out (GAP_TIMEOUT_MS, 1 s) before the store says it is missing.
    await cb.waitForMessage((m) => m.id === resent.message.id, 'the resent message');
    const history = await cb.request<{ messages: Array<{ content: string }> }>('history', { roomId: a.roomId });
    if (!history.ok) throw new Error('history failed');
    expect(history.messages.filter((m) => m.content === payload.content)).toHaveLength(1);
  });

  test('REST answers 503 unavailable with no SQL or stack in the body, and works again after', async () => {
    const a = await newSession(t.url);
    await db.query('RENAME TABLE rooms TO rooms_away');
    const replies = [
      await request(t.url, 'POST', '/api/v1/sessions', { json: { chatroomName: 'outage-room', nickName: 'outage-user' } }),
      await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}`),
      await request(t.url, 'GET', '/api/v1/rooms/count'),
    ];
    for (const reply of replies) {
      expect(reply.status).toBe(503);
      expect(reply.body.error.code).toBe('unavailable');
      expect(JSON.stringify(reply.body)).not.toMatch(/rooms_away|SELECT|INSERT|ER_|at .*\.ts/i);
    }
    await db.query('RENAME TABLE rooms_away TO rooms');
    expect((await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}`)).status).toBe(200);
  });
});
