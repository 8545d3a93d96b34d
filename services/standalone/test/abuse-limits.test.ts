import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, connectError, connectOutcome, createClientPool, newSession, request, waitUntil, withTimeout } from '@chat/testkit';
import { startStandalone } from '../src';
import { embeddedWith } from './targets';

const pool = createClientPool();
afterEach(() => pool.closeAll());

describe('per-address limits at the socket node', () => {
  const t = embeddedWith({ CONNECTIONS_PER_ADDRESS_MAX: '2', CONNECT_ADDRESS_RATE_LIMIT: '5/60' });

  test('an address past CONNECTIONS_PER_ADDRESS_MAX is refused with limit_exceeded, whoever the users are', async () => {
    const users = await Promise.all([0, 1, 2].map(() => newSession(t.url)));
    const first = await pool.open(t.url, { token: users[0]!.token });
    await pool.open(t.url, { token: users[1]!.token });
    expect(await connectError(t.url, { token: users[2]!.token })).toBe('limit_exceeded');
    first.close();
    await waitUntil(
      () =>
        connect(t.url, { token: users[2]!.token })
          .then((c) => (c.close(), true))
          .catch(() => false),
      { what: 'a slot after a close' },
    );
  });

  test('handshakes of one address past CONNECT_ADDRESS_RATE_LIMIT are rate_limited, whoever the users are', async () => {
    // Two used by the previous test; this one needs a fresh budget: three more fit, then the address is out.
    const users = await Promise.all([0, 1, 2, 3, 4].map(() => newSession(t.url)));
    const outcomes: string[] = [];
    for (const u of users) {
      outcomes.push(await connectOutcome(t.url, { token: u.token }));
    }
    expect(outcomes.filter((o) => o === 'rate_limited').length).toBeGreaterThanOrEqual(1);
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'rate_limited')).toEqual([]);
  });

  test('a client cannot choose its address with X-Forwarded-For when no proxy is trusted (TRUST_PROXY_HOPS=0)', async () => {
    const users = await Promise.all([0, 1, 2].map(() => newSession(t.url).catch(() => undefined)));
    const opened: string[] = [];
    for (const [i, u] of users.entries()) {
      if (!u) continue;
      opened.push(await connectOutcome(t.url, { token: u.token, transports: ['polling'], extraHeaders: { 'x-forwarded-for': `10.0.0.${i + 1}` } }));
    }
    // Whatever it claims, every handshake counts against 127.0.0.1, whose budget the tests above spent.
    expect(opened.filter((o) => o === 'ok')).toEqual([]);
  });
});

describe('session budgets per address', () => {
  const t = embeddedWith({ SESSION_RATE_LIMIT: '3/60' });

  test('a client-sent X-Forwarded-For (any address, private or public) does not buy new session budgets', async () => {
    const statuses: number[] = [];
    for (const xff of ['203.0.113.7', '10.0.0.7', '192.168.1.7', '198.51.100.7, 10.0.0.8']) {
      const r = await request(t.url, 'POST', '/api/v1/sessions', {
        json: { nickName: `n-${Math.random().toString(36).slice(2, 10)}`, chatroomName: 'xff' },
        headers: { 'x-forwarded-for': xff },
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });
});

describe('per-socket request limits', () => {
  const t = embeddedWith({ SOCKET_EVENT_RATE_LIMIT: '5/60', HISTORY_RATE_LIMIT: '100/60' });

  test('requests past SOCKET_EVENT_RATE_LIMIT on one connection are rate_limited; the connection stays', async () => {
    const s = await newSession(t.url);
    const c = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => c.request('message', { roomId: s.roomId, content: `e${i}` })));
    expect(replies.filter((r) => r.ok)).toHaveLength(5);
    for (const r of replies.filter((x) => !x.ok)) expect(r).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterSec: expect.any(Number) } });
    expect(c.socket.connected).toBe(true);
    // Another connection of the same user has a budget of its own.
    const other = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    expect((await other.request('message', { roomId: s.roomId, content: 'other tab' })).ok).toBe(true);
  });
});

describe('history limits', () => {
  const t = embeddedWith({ HISTORY_RATE_LIMIT: '4/60' });

  test('history reads spend HISTORY_RATE_LIMIT per user, over the socket and REST alike', async () => {
    const s = await newSession(t.url);
    const c = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    await c.waitForMessage((m) => m.event === 'join', 'own join');
    const path = `/api/v1/rooms/${s.roomId}/messages`;
    expect((await c.request('history', { roomId: s.roomId })).ok).toBe(true);
    expect((await request(t.url, 'GET', path, { token: s.token })).status).toBe(200);
    expect((await c.request('history', { roomId: s.roomId })).ok).toBe(true);
    expect((await request(t.url, 'GET', path, { token: s.token })).status).toBe(200);
    expect(await c.request('history', { roomId: s.roomId })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    const rest = await request(t.url, 'GET', path, { token: s.token });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(c.socket.connected).toBe(true);
    // Per user: someone else still reads.
    const other = await newSession(t.url, { chatroomName: s.chatroomName });
    expect((await request(t.url, 'GET', path, { token: other.token })).status).toBe(200);
  });
});

describe('one history request in flight per connection', () => {
  const t = embeddedWith({ HISTORY_RATE_LIMIT: '1000/60' });

  test('a second history request while the first is answered gets rate_limited', async () => {
    const s = await newSession(t.url);
    const c = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    await c.waitForMessage((m) => m.event === 'join', 'own join');
    const replies = await Promise.all(Array.from({ length: 5 }, () => c.request('history', { roomId: s.roomId, limit: 200 })));
    expect(replies.filter((r) => r.ok).length).toBeGreaterThanOrEqual(1);
    const refused = replies.filter((r) => !r.ok);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const r of refused) expect(r).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    // Once answered, the next one goes through.
    expect((await c.request('history', { roomId: s.roomId })).ok).toBe(true);
  });
});

describe('frame sizes', () => {
  const t = embeddedWith({});

  test('a frame over 64 KB is too_large and the connection lives; one over 100 KB closes the connection', async () => {
    const s = await newSession(t.url);
    const c = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    expect(await c.request('message', { roomId: s.roomId, content: 'y'.repeat(80_000) })).toMatchObject({ ok: false, error: { code: 'too_large' } });
    expect((await c.request('message', { roomId: s.roomId, content: 'after the big one' })).ok).toBe(true);
    // The frame's size decides, not its content's: a small request padded past 64 KB is refused before it is read.
    expect(await c.request('leave', { roomId: s.roomId, padding: 'p'.repeat(80_000) })).toMatchObject({ ok: false, error: { code: 'too_large' } });
    expect((await c.request('message', { roomId: s.roomId, content: 'still in the room' })).ok).toBe(true);
    const closed = new Promise<string>((resolve) => c.socket.once('disconnect', resolve));
    c.socket.emit('message', { roomId: s.roomId, content: 'z'.repeat(150_000) });
    expect(await withTimeout(closed, 5000, 'the close')).toBe('transport close');
    // The node is fine.
    expect((await request(t.url, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('the embedded data folder', () => {
  test('the SQLite file is readable by its owner only (file 0600, folder 0700), even in a folder made world-readable', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-perms-'));
    fs.chmodSync(dir, 0o755);
    const node = await startStandalone({ PORT: '0', HOST: '127.0.0.1', METRICS_PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent' });
    try {
      expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('700');
      expect((fs.statSync(path.join(dir, 'chat.sqlite3')).mode & 0o777).toString(8)).toBe('600');
    } finally {
      await node.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the replay limit', () => {
  const t = embeddedWith({ RESUME_MAX: '5' });

  test('a resume with more than RESUME_MAX stored messages replays none and says resumed: false', async () => {
    const s = await newSession(t.url);
    const writer = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    const join = await writer.waitForMessage((m) => m.event === 'join', 'own join');
    for (let i = 0; i < 8; i++) expect((await writer.request('message', { roomId: s.roomId, content: `r${i}` })).ok).toBe(true);
    const reader = await pool.open(t.url, { token: s.token });
    const ack = await reader.request<{ resumed: boolean; newestSeq: number }>('join', { roomId: s.roomId, afterSeq: join.seq });
    expect(ack).toEqual({ ok: true, resumed: false, newestSeq: join.seq + 8 });
    expect(reader.messages).toEqual([]);
    // Five fit: then it is replayed.
    const near = await pool.open(t.url, { token: s.token });
    expect(await near.request('join', { roomId: s.roomId, afterSeq: join.seq + 3 })).toEqual({ ok: true, resumed: true, newestSeq: join.seq + 8 });
    expect(near.messages.map((m) => m.content)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
  });
});
