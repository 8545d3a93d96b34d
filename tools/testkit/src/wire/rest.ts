import type { ChatMessage } from '@chat/protocol';
import { newSession, request } from '../http';
import { randomSuffix, waitUntil } from '../wait';
import { UNKNOWN_ROOM, UNKNOWN_USER, expectStillUp, lazyTarget } from './context';
import type { WireContext } from './context';

/** REST: sessions, rooms, users, history, probes. */
export function restSuite(ctx: WireContext): void {
  const open = ctx.open;
  const t = lazyTarget(ctx);
  const stillUp = () => expectStillUp(t);

  describe('REST', () => {
    test('POST /api/v1/sessions creates a user and a room; the key proves the nickName again; same room name, same room', async () => {
      const room = `room-${randomSuffix()}`;
      const nick = `nick-${randomSuffix()}`;
      const a = await request(t.url, 'POST', '/api/v1/sessions', { json: { nickName: nick, chatroomName: room, headNum: 3 } });
      expect(a.status).toBe(201);
      expect(a.body).toEqual({
        token: expect.any(String),
        userId: expect.stringMatching(/^user_[0-9a-f]{32}$/),
        roomId: expect.stringMatching(/^room_[0-9a-f]{32}$/),
        nickName: nick,
        chatroomName: room,
        headNum: 3,
        userKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      const b = await request(t.url, 'POST', '/api/v1/sessions', { json: { nickName: nick, chatroomName: room, userKey: a.body.userKey } });
      expect(b.status).toBe(201);
      expect(b.body).not.toHaveProperty('userKey');
      expect(b.body.userId).toBe(a.body.userId);
      expect(b.body.roomId).toBe(a.body.roomId);
      expect(b.body.headNum).toBe(3);
      const other = await newSession(t.url, { chatroomName: room });
      expect(other.roomId).toBe(a.body.roomId);
      expect(other.userId).not.toBe(a.body.userId);
      expect(other.headNum).toBe(0);
    });

    test.each([
      ['missing nickName', { chatroomName: 'r' }],
      ['missing chatroomName', { nickName: 'n' }],
      ['empty nickName', { nickName: '', chatroomName: 'r' }],
      ['blank chatroomName', { nickName: 'n', chatroomName: '   ' }],
      ['nickName over 32', { nickName: 'x'.repeat(33), chatroomName: 'r' }],
      ['chatroomName over 64', { nickName: 'n', chatroomName: 'x'.repeat(65) }],
      ['control character', { nickName: 'a\u0007b', chatroomName: 'r' }],
      ['newline in room', { nickName: 'n', chatroomName: 'a\nb' }],
      ['number nickName', { nickName: 42, chatroomName: 'r' }],
      ['object chatroomName', { nickName: 'n', chatroomName: { $ne: 1 } }],
      ['negative headNum', { nickName: 'n', chatroomName: 'r', headNum: -1 }],
      ['text headNum', { nickName: 'n', chatroomName: 'r', headNum: 'abc' }],
      ['array body', [1, 2]],
    ])('POST /api/v1/sessions refuses %s with 400 bad_request', async (_label, json) => {
      const r = await request(t.url, 'POST', '/api/v1/sessions', { json });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
      expect(typeof r.body.error.message).toBe('string');
    });

    test('a body over 16 KB is a 413 too_large, and the node stays up', async () => {
      const big = { nickName: 'n', chatroomName: 'r', pad: 'x'.repeat(17 * 1024) };
      const r = await request(t.url, 'POST', '/api/v1/sessions', { json: big });
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('too_large');
      const fits = await request(t.url, 'POST', '/api/v1/sessions', {
        json: { nickName: `n-${randomSuffix()}`, chatroomName: 'r', pad: 'x'.repeat(15 * 1024) },
      });
      expect(fits.status).toBe(201);
      await stillUp();
    });

    test('a body that is not JSON is a 400 bad_request', async () => {
      for (const [raw, type] of [
        ['{"nickName":', 'application/json'],
        ['nickName=a&chatroomName=b', 'application/x-www-form-urlencoded'],
        ['hello', 'text/plain'],
      ] as const) {
        const r = await request(t.url, 'POST', '/api/v1/sessions', { raw, contentType: type });
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe('bad_request');
      }
      await stillUp();
    });

    test('names at the limits and injection-looking names are stored verbatim', async () => {
      const nick = `'; DROP TABLE users; --`.slice(0, 32);
      const room = `<script>alert(1)</script>${'x'.repeat(64)}`.slice(0, 64);
      const s = await newSession(t.url, { nickName: nick + randomSuffix().slice(0, 32 - nick.length), chatroomName: room });
      expect(s.chatroomName).toBe(room);
      const info = await request(t.url, 'GET', `/api/v1/rooms/${s.roomId}`);
      expect(info.body.name).toBe(room);
    });

    test('GET /api/v1/rooms/count counts rooms (cached for a second per node)', async () => {
      const before = (await request(t.url, 'GET', '/api/v1/rooms/count')).body.count;
      expect(typeof before).toBe('number');
      await newSession(t.url);
      await waitUntil(async () => (await request(t.url, 'GET', '/api/v1/rooms/count')).body.count >= before + 1, { what: 'the new room counted' });
    });

    test('GET /api/v1/rooms/:roomId and users/:userId, 404 for unknown ids', async () => {
      const s = await newSession(t.url, { headNum: 7 });
      const room = await request(t.url, 'GET', `/api/v1/rooms/${s.roomId}`);
      expect(room.status).toBe(200);
      expect(room.body).toEqual({ id: s.roomId, name: s.chatroomName, createdAt: expect.any(String), online: 0, visibility: 'public' });
      expect(new Date(room.body.createdAt).toISOString()).toBe(room.body.createdAt);
      const user = await request(t.url, 'GET', `/api/v1/users/${s.userId}`);
      expect(user.body).toEqual({ id: s.userId, nickName: s.nickName, headNum: 7, status: 'offline' });
      for (const path of [`/api/v1/rooms/${UNKNOWN_ROOM}`, `/api/v1/users/${UNKNOWN_USER}`, `/api/v1/rooms/${UNKNOWN_ROOM}/members`]) {
        const r = await request(t.url, 'GET', path);
        expect(r.status).toBe(404);
        expect(r.body.error.code).toBe('not_found');
      }
      // Ids are accepted in exactly one format: anything else is a bad request, never a look-up.
      const malformed = [
        'room_nope',
        `${s.roomId} `,
        `${s.roomId}%20`,
        s.roomId.toUpperCase(),
        `${s.roomId}x`,
        encodeURIComponent("' OR 1=1 --"),
        `${s.userId}`,
      ];
      for (const id of malformed) {
        const r = await request(t.url, 'GET', `/api/v1/rooms/${id === s.roomId + ' ' ? encodeURIComponent(id) : id}`);
        expect({ id, status: r.status, code: r.body.error?.code }).toEqual({ id, status: 400, code: 'bad_request' });
      }
      for (const id of ['user_nope', `${s.userId} `, s.roomId]) {
        const r = await request(t.url, 'GET', `/api/v1/users/${encodeURIComponent(id)}`);
        expect({ id, status: r.status }).toEqual({ id, status: 400 });
      }
    });

    test('members and online status follow sockets', async () => {
      const a = await newSession(t.url);
      const c = await open(t.url, { token: a.token, roomId: a.roomId });
      await c.waitForMembers((u) => u.members.some((m) => m.userId === a.userId), 'own members update');
      const members = await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}/members`);
      expect(members.body).toEqual({ members: [{ userId: a.userId, nickName: a.nickName, headNum: a.headNum }] });
      expect((await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}`)).body.online).toBe(1);
      expect((await request(t.url, 'GET', `/api/v1/users/${a.userId}`)).body.status).toBe('online');
      c.close();
      await waitUntil(async () => (await request(t.url, 'GET', `/api/v1/users/${a.userId}`)).body.status === 'offline', { what: 'offline' });
      expect((await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}/members`)).body.members).toEqual([]);
      expect((await request(t.url, 'GET', `/api/v1/rooms/${UNKNOWN_ROOM}/members`)).status).toBe(404);
    });

    test('GET messages pages newest-first windows oldest..newest and needs a token', async () => {
      const a = await newSession(t.url);
      const c = await open(t.url, { token: a.token, roomId: a.roomId });
      await c.waitForMessage((m) => m.event === 'join');
      for (let i = 1; i <= 12; i++) {
        const r = await c.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: `m${i}` });
        expect(r.ok).toBe(true);
      }
      const path = `/api/v1/rooms/${a.roomId}/messages`;
      expect((await request(t.url, 'GET', path)).status).toBe(401);
      expect((await request(t.url, 'GET', path, { token: 'garbage' })).body.error.code).toBe('unauthorized');
      const page = await request(t.url, 'GET', `${path}?limit=5`, { token: a.token });
      expect(page.status).toBe(200);
      expect(page.body.messages.map((m: ChatMessage) => m.content)).toEqual(['m8', 'm9', 'm10', 'm11', 'm12']);
      expect(page.body.hasMore).toBe(true);
      const seqs = page.body.messages.map((m: ChatMessage) => m.seq);
      const older = await request(t.url, 'GET', `${path}?limit=5&before=${seqs[0]}`, { token: a.token });
      expect(older.body.messages.map((m: ChatMessage) => m.content)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
      const all = await request(t.url, 'GET', path, { token: a.token });
      expect(all.body.messages).toHaveLength(13); // the join message and twelve
      expect(all.body.hasMore).toBe(false);
      for (const q of ['limit=201', 'limit=0', 'limit=abc', 'before=-1', 'before=x', 'after=-1', 'after=x']) {
        const bad = await request(t.url, 'GET', `${path}?${q}`, { token: a.token });
        expect(bad.status).toBe(400);
        expect(bad.body.error.code).toBe('bad_request');
      }
      const stranger = await newSession(t.url);
      const denied = await request(t.url, 'GET', path, { token: stranger.token });
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('not_member');
      expect((await request(t.url, 'GET', `/api/v1/rooms/${UNKNOWN_ROOM}/messages`, { token: a.token })).status).toBe(404);
      expect((await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}x/messages`, { token: a.token })).status).toBe(400);
      // Forward paging: the oldest page after a seq, oldest first.
      const first = all.body.messages[0].seq;
      const forward = await request(t.url, 'GET', `${path}?after=${first}&limit=5`, { token: a.token });
      expect(forward.body.messages.map((m: ChatMessage) => m.content)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
      expect(forward.body.hasMore).toBe(true);
      const tail = await request(t.url, 'GET', `${path}?after=${first + 10}`, { token: a.token });
      expect(tail.body).toEqual({ messages: [expect.objectContaining({ content: 'm11' }), expect.objectContaining({ content: 'm12' })], hasMore: false });
      expect((await request(t.url, 'GET', `${path}?after=1&before=5`, { token: a.token })).status).toBe(400);
    });

    test('healthz and readyz answer on the public port; metrics only on the internal listener', async () => {
      expect((await request(t.url, 'GET', '/healthz')).status).toBe(200);
      expect((await request(t.url, 'GET', '/readyz')).status).toBe(200);
      const metrics = await request<string>(t.metricsUrl, 'GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('chat_connected_sockets');
      const hidden = await request(t.url, 'GET', '/metrics');
      expect(hidden.status).not.toBe(200);
      expect(String(JSON.stringify(hidden.body))).not.toContain('chat_connected_sockets');
    });

    test('a malformed %-encoding in a path is a 400 bad_request', async () => {
      for (const path of ['/api/v1/rooms/%E0%A4%A', '/api/v1/users/%zz', '/api/v1/rooms/%']) {
        const r = await request(t.url, 'GET', path);
        expect({ path, status: r.status, code: r.body.error?.code }).toEqual({ path, status: 400, code: 'bad_request' });
      }
      await stillUp();
    });

    test('unknown routes are 404 not_found and headers are set deliberately', async () => {
      const r = await request(t.url, 'GET', '/api/v1/nope');
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-powered-by')).toBeNull();
    });
  });
}
