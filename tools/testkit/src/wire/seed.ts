import { newSession, request } from '../http';
import { randomSuffix, waitUntil } from '../wait';
import { UNKNOWN_ROOM, lazyTarget } from './context';
import type { WireContext } from './context';

/** The original backend's `/mysql/*` routes. */
export function seedSuite(ctx: WireContext): void {
  const open = ctx.open;
  const t = lazyTarget(ctx);

  describe('seed-compatible /mysql routes', () => {
    test('createChatroom, getRoomNums, getRoomInfo, getUserInfo', async () => {
      const room = `seed-${randomSuffix()}`;
      const nick = `seed-${randomSuffix()}`;
      const created = await request(t.url, 'POST', '/mysql/createChatroom', { json: { chatroomName: room, nickName: nick, headNum: 2 } });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({
        success: true,
        data: { chatroomId: expect.any(String), nickId: expect.any(String), token: expect.any(String), userKey: expect.any(String) },
      });
      const again = await request(t.url, 'POST', '/mysql/createChatroom', {
        json: { chatroomName: room, nickName: nick, headNum: 2, userKey: created.body.data.userKey },
      });
      expect(again.body.data.chatroomId).toBe(created.body.data.chatroomId);
      expect(again.body.data.nickId).toBe(created.body.data.nickId);
      expect(again.body.data).not.toHaveProperty('userKey');
      // Without the key the nickName is someone else's.
      const taken = await request(t.url, 'POST', '/mysql/createChatroom', { json: { chatroomName: room, nickName: nick, headNum: 2 } });
      expect(taken.status).toBe(409);
      expect(taken.body).toEqual({ success: false, error: { code: 'nickname_taken', message: expect.any(String) } });
      const nums = await request(t.url, 'GET', '/mysql/getRoomNums');
      expect(nums.body).toEqual({ success: true, data: expect.any(Number) });
      expect((await request(t.url, 'POST', '/mysql/getRoomInfo', { json: { roomId: created.body.data.chatroomId } })).body).toEqual({
        success: true,
        data: room,
      });
      expect((await request(t.url, 'POST', '/mysql/getUserInfo', { json: { userId: created.body.data.nickId } })).body).toEqual({ success: true, data: nick });
      const missing = await request(t.url, 'POST', '/mysql/getRoomInfo', { json: { roomId: UNKNOWN_ROOM } });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ success: false, error: { code: 'not_found', message: expect.any(String) } });
      const bad = await request(t.url, 'POST', '/mysql/createChatroom', { json: { chatroomName: '', nickName: nick } });
      expect(bad.status).toBe(400);
      expect(bad.body.success).toBe(false);
      expect(bad.body.error.code).toBe('bad_request');
      expect((await request(t.url, 'POST', '/mysql/getUserInfo', { json: {} })).body.error.code).toBe('bad_request');
      expect((await request(t.url, 'POST', '/mysql/getRoomInfo', { json: { roomId: 'room_nope' } })).body.error.code).toBe('bad_request');
    });

    test('getRoomNums counts what GET /api/v1/rooms/count counts', async () => {
      const seedCount = async (): Promise<number> => {
        const r = await request(t.url, 'GET', '/mysql/getRoomNums');
        expect(r.body).toEqual({ success: true, data: expect.any(Number) });
        return r.body.data;
      };
      const restCount = async (): Promise<number> => (await request(t.url, 'GET', '/api/v1/rooms/count')).body.count;
      // Rooms are never deleted: the larger of the two is a lower bound of the rooms there are now.
      const before = Math.max(await seedCount(), await restCount());
      const created = await request(t.url, 'POST', '/mysql/createChatroom', {
        json: { chatroomName: `seed-count-${randomSuffix()}`, nickName: `seed-${randomSuffix()}` },
      });
      expect(created.body.success).toBe(true);
      // Each node counts at most once a second: both see the new room within a few seconds...
      await waitUntil(async () => (await seedCount()) > before && (await restCount()) > before, {
        timeoutMs: 10_000,
        what: 'both counts include the new room',
      });
      // ...and, with nothing created meanwhile, give the same number once every node's count is fresh.
      const agreed = await waitUntil(
        async () => {
          const [seed, rest] = await Promise.all([seedCount(), restCount()]);
          return seed === rest ? seed : undefined;
        },
        { timeoutMs: 10_000, what: 'getRoomNums and rooms/count to agree' },
      );
      expect(agreed).toBeGreaterThan(before);
    });

    test('validateNickIdByRoomId is true only while the user is online in the room', async () => {
      const a = await newSession(t.url);
      const body = { roomId: a.roomId, nickId: a.userId };
      expect((await request(t.url, 'POST', '/mysql/validateNickIdByRoomId', { json: body })).body).toEqual({ success: false });
      const c = await open(t.url, { token: a.token, roomId: a.roomId });
      await c.waitForMembers((u) => u.members.length === 1);
      expect((await request(t.url, 'POST', '/mysql/validateNickIdByRoomId', { json: body })).body).toEqual({ success: true });
      expect((await request(t.url, 'POST', '/mysql/validateNickIdByRoomId', { json: { roomId: UNKNOWN_ROOM, nickId: a.userId } })).body).toEqual({
        success: false,
      });
      expect((await request(t.url, 'POST', '/mysql/validateNickIdByRoomId', { json: { roomId: 'room_nope', nickId: a.userId } })).body.error.code).toBe(
        'bad_request',
      );
      expect((await request(t.url, 'POST', '/mysql/validateNickIdByRoomId', { json: { roomId: 5 } })).body.error.code).toBe('bad_request');
    });
  });
}
