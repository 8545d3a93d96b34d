import { connect, connectError, createClientPool, newSession, waitUntil, withTimeout } from '@chat/testkit';
import { embeddedWith } from './targets';

/** Per-connection limits that keep one socket from holding the node's resources (bus subscriptions, presence). */
describe('per-connection limits', () => {
  const t = embeddedWith({ ROOMS_PER_SOCKET_MAX: '3', CONNECTIONS_PER_USER_MAX: '2', CONNECT_RATE_LIMIT: '4/60' });
  const pool = createClientPool();
  afterEach(() => pool.closeAll());

  test('a join past ROOMS_PER_SOCKET_MAX is refused with limit_exceeded; after a leave it succeeds', async () => {
    const first = await newSession(t.url);
    const others = [];
    for (let i = 0; i < 3; i++) others.push(await newSession(t.url, { nickName: first.nickName, userKey: first.userKey! }));
    const c = await pool.open(t.url, { token: first.token, roomId: first.roomId });
    await c.waitForMessage((m) => m.event === 'join' && m.roomId === first.roomId, 'in the first room');
    expect(await c.request('join', { roomId: others[0]!.roomId })).toMatchObject({ ok: true });
    expect(await c.request('join', { roomId: others[1]!.roomId })).toMatchObject({ ok: true });
    // A room it is already in does not count again.
    expect(await c.request('join', { roomId: others[1]!.roomId })).toMatchObject({ ok: true });
    const refused = await c.request('join', { roomId: others[2]!.roomId });
    expect(refused).toMatchObject({ ok: false, error: { code: 'limit_exceeded' } });
    expect(await c.request('message', { roomId: others[2]!.roomId, content: 'not in it' })).toMatchObject({ ok: false, error: { code: 'not_member' } });

    expect(await c.request('leave', { roomId: others[0]!.roomId })).toMatchObject({ ok: true });
    expect(await c.request('join', { roomId: others[2]!.roomId })).toMatchObject({ ok: true });
    expect(await c.request('message', { roomId: others[2]!.roomId, content: 'now in it' })).toMatchObject({ ok: true });
  });

  test('a user past CONNECTIONS_PER_USER_MAX open sockets is refused with limit_exceeded until one closes', async () => {
    const s = await newSession(t.url);
    const first = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    await pool.open(t.url, { token: s.token });
    expect(await connectError(t.url, { token: s.token })).toBe('limit_exceeded');
    // Another user is not affected.
    const other = await newSession(t.url);
    await pool.open(t.url, { token: other.token });

    // Refused attempts cost no handshake budget (4 per minute here): retrying until the slot is back is free.
    first.close();
    const again = await waitUntil(() => connect(t.url, { token: s.token, roomId: s.roomId }).catch(() => undefined), {
      what: 'a slot after a close',
    });
    try {
      await again.waitForMessage((m) => m.event === 'join' && m.roomId === s.roomId, 'in the room again');
      expect(await again.request('message', { roomId: s.roomId, content: 'back' })).toMatchObject({ ok: true });
    } finally {
      again.close();
    }
  });

  test('handshakes past CONNECT_RATE_LIMIT are refused with rate_limited and a retry time', async () => {
    const s = await newSession(t.url);
    for (let i = 0; i < 4; i++) (await connect(t.url, { token: s.token })).close();
    const refused = await connect(t.url, { token: s.token }).then(
      (c) => {
        c.close();
        throw new Error('expected the fifth handshake to be refused');
      },
      (err: Error & { data?: { retryAfterSec?: number } }) => err,
    );
    expect(refused.message).toBe('rate_limited');
    expect(refused.data?.retryAfterSec).toBeGreaterThan(0);
    // The budget is per user.
    const other = await newSession(t.url);
    await pool.open(t.url, { token: other.token });
  });
});

describe('join requests and the message rate', () => {
  const t = embeddedWith({ MESSAGE_RATE_LIMIT: '4/60' });

  test('each join spends a message point, so a join/leave loop (announcements each) is held to the message rate', async () => {
    const s = await newSession(t.url);
    const room = await newSession(t.url, { nickName: s.nickName, userKey: s.userKey! });
    const c = await connect(t.url, { token: s.token });
    try {
      for (let i = 0; i < 4; i++) {
        expect(await c.request('join', { roomId: room.roomId })).toMatchObject({ ok: true });
        expect(await c.request('leave', { roomId: room.roomId })).toMatchObject({ ok: true });
      }
      const refused = await c.request('join', { roomId: room.roomId });
      expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      expect((refused as { error: { retryAfterSec?: number } }).error.retryAfterSec).toBeGreaterThan(0);
      // Refused before anything was recorded: the user is not in the room.
      expect(await c.request('message', { roomId: room.roomId, content: 'x' })).toMatchObject({ ok: false, error: { code: 'not_member' } });
    } finally {
      c.close();
    }
  });
});

describe('clients that stop reading', () => {
  const t = embeddedWith({ CLIENT_QUEUE_MAX_BYTES: '65536', MESSAGE_RATE_LIMIT: '100000/1' });

  test('a connection whose client reads nothing is closed once its queue passes CLIENT_QUEUE_MAX_BYTES; the room goes on', async () => {
    const writerSession = await newSession(t.url);
    const readerSession = await newSession(t.url, { chatroomName: writerSession.chatroomName });
    const writer = await connect(t.url, { token: writerSession.token, roomId: writerSession.roomId });
    const reader = await connect(t.url, { token: readerSession.token, roomId: writerSession.roomId });
    try {
      await writer.waitForMessage((m) => m.event === 'join' && m.userId === readerSession.userId, 'the reader in the room');
      // The reader's process stops reading its socket: the kernel buffers fill, then the node's queue grows.
      const engine = reader.socket.io.engine as unknown as { transport: { ws: { _socket: { pause(): void; resume(): void } } } };
      engine.transport.ws._socket.pause();
      const left = () => writer.messages.some((m) => m.event === 'leave' && m.userId === readerSession.userId);
      const content = 'x'.repeat(4000);
      for (let round = 0; round < 200 && !left(); round++) {
        const acks = await Promise.all(Array.from({ length: 10 }, () => writer.request('message', { roomId: writerSession.roomId, content })));
        expect(acks.every((a) => a.ok)).toBe(true);
      }
      await writer.waitForMessage((m) => m.event === 'leave' && m.userId === readerSession.userId, "the reader's leave", 5000);
      // The reader learns it was cut once it reads again (socket.io-client would reconnect by itself).
      const closed = new Promise<string>((resolve) => reader.socket.once('disconnect', resolve));
      engine.transport.ws._socket.resume();
      expect(await withTimeout(closed, 5000, "the reader's disconnect")).toBe('transport close');
      expect(await writer.request('message', { roomId: writerSession.roomId, content: 'still here' })).toMatchObject({ ok: true });
    } finally {
      writer.close();
      reader.close();
    }
  }, 30_000);
});

describe('session lifetime', () => {
  const t = embeddedWith({ TOKEN_TTL_SEC: '2' });

  test('a connection is closed when its token expires, with unauthorized on the session', async () => {
    const s = await newSession(t.url);
    const c = await connect(t.url, { token: s.token, roomId: s.roomId });
    try {
      const reason = await withTimeout(new Promise<string>((resolve) => c.socket.once('disconnect', resolve)), 5000, 'the disconnect at expiry');
      expect(reason).toBe('io server disconnect');
      expect(c.errors).toEqual([expect.objectContaining({ code: 'unauthorized', event: 'session' })]);
      // The token is no good for a new connection either.
      expect(await connectError(t.url, { token: s.token })).toBe('unauthorized');
    } finally {
      c.close();
    }
  }, 15_000);
});
