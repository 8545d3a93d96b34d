import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { appToken, newSession, randomSuffix, request } from '@chat/testkit';
import { embeddedWith } from './targets';

describe('without app identity and server keys configured', () => {
  const t = embeddedWith({ APP_JWT_SECRET: '', SERVER_API_KEYS: '' });

  test('the exchange and the server API do not exist (404 not_found)', async () => {
    const token = await appToken('any-app-secret-'.padEnd(40, 'x'), { sub: 's', name: 'X' });
    const exchange = await request(t.url, 'POST', '/api/v1/sessions/exchange', { token });
    expect({ status: exchange.status, code: exchange.body.error?.code }).toEqual({ status: 404, code: 'not_found' });
    const s = await newSession(t.url);
    const post = await request(t.url, 'POST', `/api/v1/rooms/${s.roomId}/messages`, { token: 'k'.repeat(40), json: { content: 'x', kind: 'system' } });
    expect({ status: post.status, code: post.body.error?.code }).toEqual({ status: 404, code: 'not_found' });
  });
});

describe('GUEST_SESSIONS=off', () => {
  const secret = 'only-apps-secret-'.padEnd(48, 'o');
  const t = embeddedWith({ GUEST_SESSIONS: 'off', APP_JWT_SECRET: secret });

  test('nickname sessions are forbidden; app users still get in', async () => {
    const guest = await request(t.url, 'POST', '/api/v1/sessions', { json: { nickName: `n-${randomSuffix()}`, chatroomName: 'lobby' } });
    expect({ status: guest.status, code: guest.body.error?.code }).toEqual({ status: 403, code: 'forbidden' });
    const seed = await request(t.url, 'POST', '/mysql/createChatroom', { json: { nickName: `n-${randomSuffix()}`, chatroomName: 'lobby' } });
    expect(seed.body).toEqual({ success: false, error: { code: 'forbidden', message: expect.any(String) } });
    const app = await request(t.url, 'POST', '/api/v1/sessions/exchange', { token: await appToken(secret, { sub: 'u1', name: 'Ada' }) });
    expect(app.status).toBe(201);
    const room = await request(t.url, 'POST', '/api/v1/rooms', { token: app.body.token, json: { name: `apps-${randomSuffix()}` } });
    expect(room.status).toBe(201);
  });
});

describe.each([
  ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
])('app tokens verified with a public key (%s), issuer and audience', (alg, makeKeys) => {
  const keys = makeKeys();
  const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // As an environment usually carries it: on one line with literal \n.
  const t = embeddedWith({
    APP_JWT_SECRET: '',
    APP_JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n'),
    APP_JWT_ISSUER: 'https://app.example',
    APP_JWT_AUDIENCE: 'chat',
  });

  async function sign(claims: Record<string, unknown>, opts: { iss?: string; aud?: string } = {}): Promise<string> {
    const key = await importPKCS8(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), alg);
    return new SignJWT(claims)
      .setProtectedHeader({ alg })
      .setIssuer(opts.iss ?? 'https://app.example')
      .setAudience(opts.aud ?? 'chat')
      .setExpirationTime('5m')
      .sign(key);
  }

  test('a token of the app, for this audience, is exchanged; any other is 401', async () => {
    const ok = await request(t.url, 'POST', '/api/v1/sessions/exchange', { token: await sign({ sub: 'u-7', name: 'Lin' }) });
    expect(ok.status).toBe(201);
    expect(ok.body.userId).toMatch(/^app_[0-9a-f]{32}$/);
    for (const token of [
      await sign({ sub: 'u-7', name: 'Lin' }, { iss: 'https://evil.example' }),
      await sign({ sub: 'u-7', name: 'Lin' }, { aud: 'another-service' }),
      await appToken('a-shared-secret-'.padEnd(40, 's'), { sub: 'u-7', name: 'Lin' }),
    ]) {
      const r = await request(t.url, 'POST', '/api/v1/sessions/exchange', { token });
      expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 401, code: 'unauthorized' });
    }
  });
});
