import type { SessionView } from '@chat/protocol';
import { SignJWT } from 'jose';
import { createTokenService } from '@chat/auth';
import { connectError } from '../client';
import { newSession, request } from '../http';
import { randomSuffix } from '../wait';
import { appSession, appToken, lazyTarget } from './context';
import type { WireContext, WireTarget } from './context';

const sessions = (t: WireTarget, json: unknown, token?: string) =>
  request<SessionView>(t.url, 'POST', '/api/v1/sessions', { json, ...(token ? { token } : {}) });

/** Identity: a nickName is owned by whoever holds its key; apps vouch for their own users. */
export function identitySuite(ctx: WireContext): void {
  const t = lazyTarget(ctx);

  describe('guest identity', () => {
    test('a taken nickName needs its key or a token of its user; without proof it is 409 nickname_taken', async () => {
      const nickName = `owner-${randomSuffix()}`;
      const first = await newSession(t.url, { nickName });
      expect(first.userKey).toEqual(expect.any(String));
      const chatroomName = `r-${randomSuffix()}`;
      for (const proof of [{}, { userKey: 'A'.repeat(43) }, { userKey: first.userKey!.slice(0, -1) + (first.userKey!.endsWith('A') ? 'B' : 'A') }]) {
        const r = await sessions(t, { nickName, chatroomName, ...proof });
        expect({ proof, status: r.status, body: r.body }).toEqual({
          proof,
          status: 409,
          body: { error: { code: 'nickname_taken', message: expect.any(String) } },
        });
      }
      // Someone else's valid token proves nothing about this nickName.
      const other = await newSession(t.url);
      expect((await sessions(t, { nickName, chatroomName }, other.token)).status).toBe(409);
      const byKey = await sessions(t, { nickName, chatroomName, userKey: first.userKey });
      expect(byKey.status).toBe(201);
      expect(byKey.body.userId).toBe(first.userId);
      const byToken = await sessions(t, { nickName, chatroomName, headNum: 9 }, first.token);
      expect(byToken.status).toBe(201);
      expect(byToken.body).toMatchObject({ userId: first.userId, headNum: 9 });
      expect(byToken.body).not.toHaveProperty('userKey');
    });

    test('of concurrent first sessions for one nickName exactly one gets it (and its key)', async () => {
      const nickName = `race-${randomSuffix()}`;
      const replies = await Promise.all(Array.from({ length: 6 }, () => sessions(t, { nickName, chatroomName: `r-${randomSuffix()}` })));
      const won = replies.filter((r) => r.status === 201);
      expect(won).toHaveLength(1);
      expect(won[0]!.body.userKey).toEqual(expect.any(String));
      for (const r of replies.filter((x) => x.status !== 201)) expect(r.body).toMatchObject({ error: { code: 'nickname_taken' } });
    });

    test('nickNames compare after NFC normalisation', async () => {
      const base = `cafe${randomSuffix()}`;
      const decomposed = `${base}e\u0301`;
      const composed = `${base}\u00e9`;
      const first = await newSession(t.url, { nickName: decomposed });
      expect(first.nickName).toBe(composed);
      expect((await sessions(t, { nickName: composed, chatroomName: 'x' })).status).toBe(409);
      const again = await newSession(t.url, { nickName: composed, userKey: first.userKey! });
      expect(again.userId).toBe(first.userId);
    });

    test.each([
      ['a right-to-left override', 'ab\u202ecd'],
      ['a bidi isolate', 'ab\u2066cd'],
      ['a zero-width space', 'ad\u200bmin'],
      ['a zero-width joiner', 'ad\u200dmin'],
      ['a word joiner', 'ad\u2060min'],
      ['a byte-order mark', '\ufeffadmin'],
      ['a control character', 'ad\u0007min'],
      ['a lone surrogate', 'ad\ud800min'],
    ])('a name with %s is 400 bad_request', async (_what, name) => {
      for (const json of [
        { nickName: name, chatroomName: 'r' },
        { nickName: `n-${randomSuffix()}`, chatroomName: name },
      ]) {
        const r = await sessions(t, json);
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ error: { code: 'bad_request' } });
      }
    });

    test('a new nickName is created whatever bearer token comes with it', async () => {
      const r = await sessions(t, { nickName: `n-${randomSuffix()}`, chatroomName: `r-${randomSuffix()}` }, 'garbage');
      expect(r.status).toBe(201);
      expect(r.body.userKey).toEqual(expect.any(String));
    });
  });

  describe('app-issued identity', () => {
    test('an app token becomes a chat session; the same sub is the same user, in a namespace no guest has', async () => {
      const sub = `app-user-${randomSuffix()}`;
      const a = await appSession(t, { sub, name: 'Ada', avatar: 4 });
      expect(a).toEqual({ token: expect.any(String), userId: expect.stringMatching(/^app_[0-9a-f]{32}$/), nickName: 'Ada', headNum: 4 });
      const again = await appSession(t, { sub, name: 'Ada L.' });
      expect(again).toMatchObject({ userId: a.userId, nickName: 'Ada L.', headNum: 0 });
      expect((await request(t.url, 'GET', `/api/v1/users/${a.userId}`)).body).toEqual({ id: a.userId, nickName: 'Ada L.', headNum: 0, status: 'offline' });
      // Display names are not unique, and an app name never takes a guest's nickName.
      const twin = await appSession(t, { sub: `other-${randomSuffix()}`, name: 'Ada L.' });
      expect(twin.userId).not.toBe(a.userId);
      const guest = await newSession(t.url, { nickName: `Ada-${randomSuffix()}` });
      expect(guest.userId).toMatch(/^user_/);
    });

    test('guests and app users meet in a room', async () => {
      const guest = await newSession(t.url);
      const app = await appSession(t, { sub: `s-${randomSuffix()}`, name: 'Grace' });
      const cg = await ctx.open(t.url, { token: guest.token, roomId: guest.roomId });
      const ca = await ctx.open(t.url, { token: app.token, roomId: guest.roomId });
      const sent = await ca.request<{ message: { userId: string; nickName: string } }>('message', { roomId: guest.roomId, content: 'hello from the app' });
      if (!sent.ok) throw new Error(JSON.stringify(sent.error));
      expect(sent.message).toMatchObject({ userId: app.userId, nickName: 'Grace' });
      await cg.waitForMessage((m) => m.content === 'hello from the app' && m.userId === app.userId, 'the app user’s message');
    });

    test('a bad, expired, foreign or incomplete app token is 401 unauthorized', async () => {
      const sub = `s-${randomSuffix()}`;
      const bad = [
        undefined,
        'garbage',
        await appToken(t.appJwtSecret, { sub, name: 'X' }, { expiresInSec: -60 }),
        await appToken('another-app-secret-'.padEnd(48, 'z'), { sub, name: 'X' }),
        await appToken(t.appJwtSecret, { name: 'X' }),
        await appToken(t.appJwtSecret, { sub, name: '' }),
        await appToken(t.appJwtSecret, { sub, name: 'ad\u202emin' }),
        // A chat session token is not an app token.
        (await newSession(t.url)).token,
        // `alg: none`.
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub, name: 'X', exp: 9e9 })).toString('base64url')}.`,
      ];
      for (const [i, token] of bad.entries()) {
        const r = await request(t.url, 'POST', '/api/v1/sessions/exchange', token ? { token } : {});
        expect({ i, status: r.status, code: r.body.error?.code }).toEqual({ i, status: 401, code: 'unauthorized' });
      }
      // No `exp`: refused too.
      const noExp = await new SignJWT({ sub, name: 'X' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(t.appJwtSecret));
      expect((await request(t.url, 'POST', '/api/v1/sessions/exchange', { token: noExp })).status).toBe(401);
    });

    test('a token the server did not sign never opens a socket, even with a real user id', async () => {
      const a = await appSession(t, { sub: `s-${randomSuffix()}`, name: 'Forged' });
      const forged = await createTokenService({ secret: 'x'.repeat(40), ttlSec: 60 }).issue({ userId: a.userId, nickName: 'Forged', headNum: 0, kind: 'app' });
      expect(await connectError(t.url, { token: forged })).toBe('unauthorized');
    });
  });
}
