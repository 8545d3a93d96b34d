import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { ChatMessage } from '@chat/protocol';
import { MYSQL_ROOT_URL, connect, connectError, createClientPool, newSession, randomSuffix, request, tempMysqlDatabase, waitUntil } from '@chat/testkit';
import type { TestClient, WireTarget } from '@chat/testkit';
import { startStandalone } from '../src';
import { TEST_SECRET, embeddedTarget, embeddedWith } from './targets';

// Lines of docs/protocol.md and the README that no other suite holds the embedded server to.

const pool = createClientPool();
afterEach(() => pool.closeAll());

/** What a client may see of an error: a stable code and a sentence, never the driver's words, SQL or a stack. */
function expectCleanError(error: unknown, code: string, leaks: RegExp[]): void {
  expect(error).toEqual({ code, message: expect.any(String) });
  const text = JSON.stringify(error);
  for (const leak of [/\bat \S+:\d+/, /\.(ts|js):\d+/, /\bER_[A-Z_]+/, /\b(select|insert|update|delete) .*\bfrom\b|\binsert into\b/i, ...leaks])
    expect(text).not.toMatch(leak);
}

describe('SESSION_RATE_LIMIT', () => {
  const t = embeddedWith({ SESSION_RATE_LIMIT: '2/60' });

  test('past the budget a session is 429 rate_limited with a Retry-After header', async () => {
    const make = () => request(t.url, 'POST', '/api/v1/sessions', { json: { nickName: `n-${randomSuffix()}`, chatroomName: 'budget' } });
    expect((await make()).status).toBe(201);
    expect((await make()).status).toBe(201);
    const refused = await make();
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String), retryAfterSec: expect.any(Number) } });
    const retryAfter = refused.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(Number(retryAfter)).toBe(Math.ceil(refused.body.error.retryAfterSec));
  });
});

describe('CORS_ORIGINS', () => {
  const allowed = 'https://app.example';
  const other = 'https://elsewhere.example';
  const t = embeddedWith({ CORS_ORIGINS: `${allowed},https://admin.example` });
  const acao = (r: { headers: Headers }) => r.headers.get('access-control-allow-origin');

  test('REST: an allowed origin gets Access-Control-Allow-Origin, another does not (requests and preflights)', async () => {
    expect(acao(await request(t.url, 'GET', '/api/v1/rooms/count', { headers: { origin: allowed } }))).toBe(allowed);
    expect(acao(await request(t.url, 'GET', '/api/v1/rooms/count', { headers: { origin: other } }))).toBeNull();
    const preflight = (origin: string) =>
      request(t.url, 'OPTIONS', '/api/v1/sessions', {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    expect(acao(await preflight(allowed))).toBe(allowed);
    expect(acao(await preflight(other))).toBeNull();
  });

  test('the socket.io handshake: an allowed origin gets Access-Control-Allow-Origin, another does not', async () => {
    const handshake = (origin: string) => request(t.url, 'GET', '/socket.io/?EIO=4&transport=polling', { headers: { origin } });
    const ok = await handshake(allowed);
    expect(ok.status).toBe(200);
    expect(acao(ok)).toBe(allowed);
    expect(acao(await handshake(other))).toBeNull();
  });
});

describe('history page size', () => {
  const t = embeddedWith({});

  test('without a limit a page is the newest 50, over REST and the socket', async () => {
    const s = await newSession(t.url);
    const c = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    await c.waitForMessage((m) => m.event === 'join', 'own join');
    for (let i = 1; i <= 55; i++) expect((await c.request('message', { roomId: s.roomId, content: `p${i}` })).ok).toBe(true);
    const newest = Array.from({ length: 50 }, (_, i) => `p${i + 6}`);
    const rest = await request(t.url, 'GET', `/api/v1/rooms/${s.roomId}/messages`, { token: s.token });
    expect(rest.body.messages.map((m: ChatMessage) => m.content)).toEqual(newest);
    expect(rest.body.hasMore).toBe(true);
    const socket = await c.request<{ messages: ChatMessage[]; hasMore: boolean }>('history', { roomId: s.roomId });
    if (!socket.ok) throw new Error(JSON.stringify(socket.error));
    expect(socket.messages.map((m) => m.content)).toEqual(newest);
    expect(socket.hasMore).toBe(true);
  });
});

describe('members coalescing (MEMBERS_INTERVAL_MS=2000)', () => {
  const INTERVAL = 2000;
  const t = embeddedWith({ MEMBERS_INTERVAL_MS: String(INTERVAL) });

  test('a burst of joins reaches each member as a few members frames, not one per join', async () => {
    const first = await newSession(t.url);
    const watcher = await pool.open(t.url, { token: first.token, roomId: first.roomId });
    await watcher.waitForMembers((u) => u.members.length === 1, 'the first list');
    const joiners = await Promise.all(Array.from({ length: 20 }, () => newSession(t.url, { chatroomName: first.chatroomName })));
    const listsBefore = watcher.members.length;
    const started = Date.now();
    const clients = await Promise.all(joiners.map((s) => pool.open(t.url, { token: s.token, roomId: s.roomId })));
    const everyone = (u: { members: unknown[] }) => u.members.length === joiners.length + 1;
    for (const c of [watcher, ...clients]) await c.waitForMembers(everyone, 'the list with everyone', 15_000);
    const elapsed = Date.now() - started;
    // At most one list per interval (the first of a burst goes out at once).
    const bound = Math.ceil(elapsed / INTERVAL) + 1;
    const framesUntilEveryone = (c: TestClient, from = 0) => c.members.slice(from).findIndex(everyone) + 1;
    expect(framesUntilEveryone(watcher, listsBefore)).toBeLessThanOrEqual(bound);
    for (const c of clients) expect(framesUntilEveryone(c)).toBeLessThanOrEqual(bound);
    // Far fewer than the 20 joins each member saw.
    expect(framesUntilEveryone(watcher, listsBefore)).toBeLessThanOrEqual(joiners.length / 4);
  });
});

describe('GROUP_COMMIT=off', () => {
  let t: WireTarget;
  beforeAll(async () => {
    t = await embeddedTarget({ env: { GROUP_COMMIT: 'off' } });
  }, 60_000);
  afterAll(() => t?.close());

  /** chat_store_batch_size: how many commits, how many messages, and how many commits of one message. */
  async function batches(): Promise<{ count: number; sum: number; ofOne: number }> {
    const text = (await request<string>(t.metricsUrl, 'GET', '/metrics')).body;
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    return {
      count: value(/^chat_store_batch_size_count(?:\{[^}]*\})? (\d+)/m),
      sum: value(/^chat_store_batch_size_sum(?:\{[^}]*\})? (\d+)/m),
      ofOne: value(/^chat_store_batch_size_bucket\{[^}]*le="1"[^}]*\} (\d+)/m),
    };
  }

  test('concurrent sends are all stored and acked, in seq order, one INSERT each (every batch has 1 message)', async () => {
    const first = await newSession(t.url);
    const others = await Promise.all([0, 1].map(() => newSession(t.url, { chatroomName: first.chatroomName })));
    const clients = await Promise.all([first, ...others].map((s) => pool.open(t.url, { token: s.token, roomId: s.roomId })));
    for (const c of clients) await c.waitForMembers((u) => u.members.length === 3, 'all three online');
    const before = await batches();
    const acks = await Promise.all(
      clients.flatMap((c, i) =>
        Array.from({ length: 20 }, (_, k) => c.request<{ message: ChatMessage }>('message', { roomId: first.roomId, content: `g${i}-${k}` }, 15_000)),
      ),
    );
    const sent = acks.map((r) => {
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.message;
    });
    const bySeq = [...sent].sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < bySeq.length; i++) expect(bySeq[i]!.seq).toBe(bySeq[i - 1]!.seq + 1);
    const history = await request(t.url, 'GET', `/api/v1/rooms/${first.roomId}/messages?limit=200`, { token: first.token });
    expect(history.body.messages.filter((m: ChatMessage) => m.kind === 'user')).toEqual(bySeq);
    const last = bySeq[bySeq.length - 1]!;
    for (const c of clients) {
      await c.waitForMessage((m) => m.id === last.id, 'every message delivered');
      expect(c.messages.filter((m) => m.kind === 'user')).toEqual(bySeq);
    }
    const after = await batches();
    expect(after.count - before.count).toBeGreaterThanOrEqual(sent.length);
    expect({ messages: after.sum - before.sum, batchesOfOne: after.ofOne - before.ofOne }).toEqual({
      messages: after.count - before.count,
      batchesOfOne: after.count - before.count,
    });
  });
});

/**
 * The store refusing the node: the embedded server reaches MySQL as a user of
 * its own, which the test locks out (and whose connections it ends), then lets
 * back in.
 */
describe('a store outage (MySQL refuses the node)', () => {
  const user = `chat_${randomSuffix()}`;
  const password = `pw-${randomSuffix()}`;
  let db: Awaited<ReturnType<typeof tempMysqlDatabase>>;
  let admin: mysql.Connection;
  let t: WireTarget;

  beforeAll(async () => {
    db = await tempMysqlDatabase('chat_lines');
    admin = await mysql.createConnection(MYSQL_ROOT_URL);
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
    await admin.query(`GRANT ALL ON \`${db.name}\`.* TO ?@?`, [user, '%']);
    const url = new URL(db.url);
    url.username = user;
    url.password = password;
    t = await embeddedTarget({ env: { MYSQL_URL: url.toString() } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await admin?.query('DROP USER IF EXISTS ?@?', [user, '%']);
    await admin?.end();
    await db?.drop();
  });

  async function storeDown(): Promise<void> {
    await admin.query('ALTER USER ?@? ACCOUNT LOCK', [user, '%']);
    const [rows] = await admin.query('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
    for (const { id } of rows as Array<{ id: number }>) await admin.query('KILL CONNECTION ?', [id]).catch(() => undefined);
  }
  const storeUp = () => admin.query('ALTER USER ?@? ACCOUNT UNLOCK', [user, '%']);
  const readyz = async () => (await request(t.url, 'GET', '/readyz')).status;
  const leaks = () => [new RegExp(user), new RegExp(db.name), /access denied/i, /ECONNREFUSED|PROTOCOL_/];

  test('/readyz is 503 while the store is down and 200 again after; handshakes into a room, sends and history are refused with unavailable, without the driver showing', async () => {
    const s = await newSession(t.url);
    const c = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    await c.waitForMessage((m) => m.event === 'join', 'own join');
    expect(await readyz()).toBe(200);
    await storeDown();
    try {
      // Each node asks the store at most once a second.
      await waitUntil(async () => (await readyz()) === 503, { timeoutMs: 10_000, what: '/readyz 503' });
      expect(await connectError(t.url, { token: s.token, roomId: s.roomId, timeoutMs: 15_000 })).toBe('unavailable');
      const sent = await c.request('message', { roomId: s.roomId, content: 'during the outage' }, 15_000);
      expect(sent.ok).toBe(false);
      expectCleanError((sent as { error: unknown }).error, 'unavailable', leaks());
      const page = await c.request('history', { roomId: s.roomId }, 15_000);
      expect(page.ok).toBe(false);
      expectCleanError((page as { error: unknown }).error, 'unavailable', leaks());
    } finally {
      await storeUp();
    }
    await waitUntil(async () => (await readyz()) === 200, { timeoutMs: 10_000, what: '/readyz 200 again' });
    const again = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    expect((await again.request('message', { roomId: s.roomId, content: 'after the outage' })).ok).toBe(true);
  });

  test('a store error (a table gone) reaches the socket as unavailable, with no SQL, table name or stack in the ack', async () => {
    const s = await newSession(t.url);
    const c = await pool.open(t.url, { token: s.token, roomId: s.roomId });
    await c.waitForMessage((m) => m.event === 'join', 'own join');
    await admin.query(`RENAME TABLE \`${db.name}\`.messages TO \`${db.name}\`.messages_away`);
    try {
      const sent = await c.request('message', { roomId: s.roomId, content: 'into a missing table' }, 15_000);
      expect(sent.ok).toBe(false);
      expectCleanError((sent as { error: unknown }).error, 'unavailable', [...leaks(), /messages_away|doesn't exist|`messages`/i]);
      const page = await c.request('history', { roomId: s.roomId }, 15_000);
      expect(page.ok).toBe(false);
      expectCleanError((page as { error: unknown }).error, 'unavailable', [...leaks(), /messages_away|doesn't exist|`messages`/i]);
    } finally {
      await admin.query(`RENAME TABLE \`${db.name}\`.messages_away TO \`${db.name}\`.messages`);
    }
  });
});

describe('a draining node', () => {
  test('/readyz is 503 while a graceful stop is in progress (here held up by a commit waiting on a table lock)', async () => {
    const db = await tempMysqlDatabase('chat_drain');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-drain-'));
    const node = await startStandalone({
      PORT: '0',
      HOST: '127.0.0.1',
      METRICS_PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      TOKEN_SECRET: TEST_SECRET,
      MYSQL_URL: db.url,
    });
    const locker = await mysql.createConnection(db.url);
    let closing: Promise<void> | undefined;
    try {
      const s = await newSession(node.url);
      const c = await connect(node.url, { token: s.token, roomId: s.roomId });
      await c.waitForMessage((m) => m.event === 'join', 'own join');
      expect((await request(node.url, 'GET', '/readyz')).status).toBe(200);
      // A commit that cannot finish: the graceful stop waits for it.
      await locker.query('LOCK TABLES messages WRITE');
      void c.request('message', { roomId: s.roomId, content: 'held up' }, 30_000).catch(() => undefined);
      let stopped = false;
      closing = node.close().then(() => void (stopped = true));
      await waitUntil(async () => (await request(node.url, 'GET', '/readyz')).status === 503, { timeoutMs: 10_000, what: '/readyz 503 while draining' });
      expect((await request(node.metricsUrl, 'GET', '/readyz')).status).toBe(503);
      expect(stopped).toBe(false); // still stopping: the answer came from a node in the middle of its drain
      c.close();
    } finally {
      await locker.query('UNLOCK TABLES').catch(() => undefined);
      await locker.end();
      await (closing ?? node.close());
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
