import fc from 'fast-check';
import { ERROR_CODES, HTTP_STATUS } from '@chat/protocol';
import { appSession, connect, newSession, request } from '@chat/testkit';
import type { TestClient, WireTarget } from '@chat/testkit';
import { embeddedTarget } from './targets';

// Property-based tests of every REST route and socket event with random and
// adversarial input: every answer is a documented success or error code, the
// connection stays usable and the process stays up. Bounded in runs and time.
jest.setTimeout(120_000);

const RUNS = 150;
const TIME_LIMIT_MS = 15_000;
const params = { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false };

let t: WireTarget;
let owner: Awaited<ReturnType<typeof newSession>>;
let client: TestClient;
beforeAll(async () => {
  t = await embeddedTarget({ env: { MESSAGE_RATE_LIMIT: '100000/1' } });
  owner = await newSession(t.url);
  client = await connect(t.url, { token: owner.token, roomId: owner.roomId });
}, 60_000);
afterAll(async () => {
  client?.close();
  await t?.close();
});

/** Strings a careless server trips on. */
const nasty = () =>
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ maxLength: 5000 }),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      '\ud800',
      'a\udc00b',
      '\u202eadmin',
      'ad\u200bmin',
      '\ufeff',
      "' OR 1=1 --",
      '%00',
      '../../etc/passwd',
      'room_0123456789abcdef0123456789abcdef ',
      ' room_0123456789abcdef0123456789abcdef',
      'ROOM_0123456789ABCDEF0123456789ABCDEF',
      'rооm_0123456789abcdef0123456789abcdef', // Cyrillic о
      'ｒｏｏｍ_0123456789abcdef0123456789abcdef', // full-width
      'user_0123456789abcdef0123456789abcdef\u0000',
    ),
  );

/** Any JSON value, with nasty strings, numbers where strings go, deep nesting, huge arrays and prototype keys. */
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    nasty(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 8 }),
    fc.dictionary(
      fc.oneof(nasty(), fc.constantFrom('roomId', 'content', 'nickName', 'chatroomName', 'userId', 'before', 'after', 'limit', 'visibility', 'as', 'kind')),
      tie('v'),
      { maxKeys: 6 },
    ),
  ),
})).v;

/** Bodies shaped like the real ones, with fields replaced by anything. */
const body = (fields: string[]) =>
  fc.oneof(
    value,
    fc.record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: [] }),
    fc.constant(deep(2000)),
    fc.constant(Array.from({ length: 20_000 }, () => 0)),
  );

function deep(n: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
}

const STATUSES = new Set([200, 201, 204, ...Object.values(HTTP_STATUS)]);

/** A documented answer: a success, or an error body with a stable code and nothing internal in it. */
function expectDocumented(reply: { status: number; body: unknown }, seed: boolean): void {
  expect(STATUSES.has(reply.status)).toBe(true);
  expect(reply.status).not.toBe(500);
  if (reply.status < 400) return;
  const error = (seed ? (reply.body as { success: boolean; error: unknown }).error : (reply.body as { error: unknown }).error) as {
    code: string;
    message: string;
  };
  expect(ERROR_CODES).toContain(error.code);
  expect(typeof error.message).toBe('string');
  expect(JSON.stringify(reply.body)).not.toMatch(/\bat .+\.(ts|js):\d+|SELECT |INSERT |sqlite|mysql|ER_[A-Z_]+/i);
}

/** Percent-encodes every byte but the unreserved ones (lone surrogates included, as UTF-8 would carry them). */
const encodeSegment = (s: string): string =>
  [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`))
    .join('');

/** A path segment: nasty text, well-formed ids, and raw malformed %-escapes. */
const segment = fc.oneof(
  fc.oneof(nasty(), fc.constantFrom('room_0123456789abcdef0123456789abcdef', 'user_0123456789abcdef0123456789abcdef')).map(encodeSegment),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%80', '%FF'),
);

describe('REST routes take anything and answer with a documented code', () => {
  const routes: Array<[string, string, (p: string) => string, string[], 'none' | 'user' | 'app' | 'server']> = [
    ['POST', '/api/v1/sessions', () => '/api/v1/sessions', ['nickName', 'chatroomName', 'headNum', 'userKey'], 'none'],
    ['POST', '/api/v1/sessions/exchange', () => '/api/v1/sessions/exchange', ['sub'], 'app'],
    ['POST', '/api/v1/rooms', () => '/api/v1/rooms', ['name', 'visibility'], 'user'],
    ['GET', '/api/v1/rooms/:id', (p) => `/api/v1/rooms/${p}`, [], 'user'],
    ['GET', '/api/v1/rooms/:id/members', (p) => `/api/v1/rooms/${p}/members`, [], 'none'],
    ['POST', '/api/v1/rooms/:id/members', (p) => `/api/v1/rooms/${p}/members`, ['userId'], 'user'],
    ['DELETE', '/api/v1/rooms/:id/members/:user', (p) => `/api/v1/rooms/${owner.roomId}/members/${p}`, [], 'user'],
    ['GET', '/api/v1/rooms/:id/messages', (p) => `/api/v1/rooms/${p}/messages?before=${p}&limit=${p}`, [], 'user'],
    ['POST', '/api/v1/rooms/:id/messages', (p) => `/api/v1/rooms/${p}/messages`, ['content', 'kind', 'as', 'clientMsgId'], 'server'],
    ['GET', '/api/v1/users/:id', (p) => `/api/v1/users/${p}`, [], 'none'],
    ['POST', '/mysql/createChatroom', () => '/mysql/createChatroom', ['nickName', 'chatroomName', 'headNum'], 'none'],
    ['POST', '/mysql/validateNickIdByRoomId', () => '/mysql/validateNickIdByRoomId', ['roomId', 'nickId'], 'none'],
    ['POST', '/mysql/getRoomInfo', () => '/mysql/getRoomInfo', ['roomId'], 'none'],
    ['POST', '/mysql/getUserInfo', () => '/mysql/getUserInfo', ['userId'], 'none'],
  ];

  test.each(routes)('%s %s', async (method, _name, path, fields, auth) => {
    const app = auth === 'app' ? await appSession(t, { sub: 'fuzz', name: 'Fuzz' }) : undefined;
    const token = auth === 'user' ? owner.token : auth === 'server' ? t.serverApiKey : auth === 'app' ? app!.token : undefined;
    await fc.assert(
      fc.asyncProperty(segment, body(fields), fc.boolean(), async (p, json, withToken) => {
        const reply = await request(t.url, method, path(p), {
          ...(method === 'GET' || method === 'DELETE' ? {} : { raw: JSON.stringify(json) ?? 'null' }),
          ...(withToken && token ? { token } : {}),
        });
        expectDocumented(reply, path(p).startsWith('/mysql/'));
      }),
      params,
    );
    expect((await request(t.url, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('socket events take anything and answer with a documented code', () => {
  test.each(['message', 'history', 'join', 'leave', 'no_such_event'])('%s', async (event) => {
    await fc.assert(
      fc.asyncProperty(body(['roomId', 'content', 'clientMsgId', 'before', 'after', 'limit', 'afterSeq']), async (payload) => {
        const reply = (await client.request(event, payload, 10_000)) as { ok: boolean; error?: { code: string; message: string } };
        if (!reply.ok) {
          expect(ERROR_CODES).toContain(reply.error!.code);
          expect(typeof reply.error!.message).toBe('string');
        }
        expect(client.socket.connected).toBe(true);
      }),
      params,
    );
    // Still usable, still in its room.
    const rejoin = await client.request('join', { roomId: owner.roomId });
    expect(rejoin.ok).toBe(true);
    expect((await client.request('message', { roomId: owner.roomId, content: `after fuzzing ${event}` })).ok).toBe(true);
  });
});
