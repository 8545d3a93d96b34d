import type { ChatMessage } from '@chat/protocol';
import { newSession, request } from '../http';
import { randomSuffix } from '../wait';
import { UNKNOWN_ROOM, UNKNOWN_USER, appSession, lazyTarget } from './context';
import type { WireContext } from './context';

/** The server API: an app backend with a server key posts into rooms, stored and delivered like any send. */
export function serverApiSuite(ctx: WireContext): void {
  const t = lazyTarget(ctx);
  const post = (roomId: string, json: unknown, key: string | null = t.serverApiKey) =>
    request(t.url, 'POST', `/api/v1/rooms/${roomId}/messages`, { json, ...(key ? { token: key } : {}) });

  describe('server API', () => {
    test('needs a server key, compared exactly', async () => {
      const s = await newSession(t.url);
      for (const key of [null, 'x'.repeat(48), `${t.serverApiKey}x`, t.serverApiKey.slice(1), s.token]) {
        const r = await post(s.roomId, { content: 'hi', kind: 'system' }, key);
        expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 401, code: 'unauthorized' });
      }
    });

    test('posts as a user or as the server, stored and delivered like a socket send, idempotent with clientMsgId', async () => {
      const s = await newSession(t.url);
      const app = await appSession(t, { sub: `s-${randomSuffix()}`, name: 'Bot owner' });
      const c = await ctx.open(t.url, { token: s.token, roomId: s.roomId });
      await c.waitForMessage((m) => m.event === 'join', 'own join');
      const asUser = await post(s.roomId, { content: 'from the backend', as: { userId: app.userId }, clientMsgId: 'srv-1' });
      expect(asUser.status).toBe(201);
      expect(asUser.body.message).toMatchObject({
        roomId: s.roomId,
        userId: app.userId,
        nickName: 'Bot owner',
        content: 'from the backend',
        kind: 'user',
        clientMsgId: 'srv-1',
      });
      const again = await post(s.roomId, { content: 'from the backend', as: { userId: app.userId }, clientMsgId: 'srv-1' });
      expect(again.body.message).toEqual(asUser.body.message);
      const system = await post(s.roomId, { content: 'maintenance at noon', kind: 'system' });
      expect(system.status).toBe(201);
      expect(system.body.message).toMatchObject({ kind: 'system', content: 'maintenance at noon', userId: expect.stringMatching(/^user_0{32}$/) });
      expect(system.body.message.seq).toBeGreaterThan(asUser.body.message.seq);
      await c.waitForMessage((m) => m.id === system.body.message.id, 'the system message, live');
      expect(c.messages.filter((m) => m.content === 'from the backend')).toHaveLength(1);
      const page = await request(t.url, 'GET', `/api/v1/rooms/${s.roomId}/messages`, { token: s.token });
      expect(page.body.messages.filter((m: ChatMessage) => m.content === 'from the backend')).toHaveLength(1);
    });

    test('refuses what a socket send would refuse', async () => {
      const s = await newSession(t.url);
      const cases: Array<[string, unknown, number, string]> = [
        [UNKNOWN_ROOM, { content: 'x', kind: 'system' }, 404, 'not_found'],
        ['room_nope', { content: 'x', kind: 'system' }, 400, 'bad_request'],
        [s.roomId, { content: 'x', as: { userId: UNKNOWN_USER } }, 404, 'not_found'],
        [s.roomId, { content: 'x' }, 400, 'bad_request'],
        [s.roomId, { content: 'x', kind: 'shout', as: { userId: s.userId } }, 400, 'bad_request'],
        [s.roomId, { content: '', kind: 'system' }, 400, 'bad_request'],
        [s.roomId, { content: 'x'.repeat(4001), kind: 'system' }, 413, 'too_large'],
      ];
      for (const [roomId, json, status, code] of cases) {
        const r = await post(roomId, json);
        expect({ json, status: r.status, code: r.body.error?.code }).toEqual({ json, status, code });
      }
    });
  });
}
