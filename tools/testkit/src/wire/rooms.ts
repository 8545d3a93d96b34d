import type { ChatMessage, RoomView, SessionView } from '@chat/protocol';
import { connectError } from '../client';
import { newSession, request } from '../http';
import { randomSuffix, waitUntil } from '../wait';
import { UNKNOWN_USER, appSession, lazyTarget } from './context';
import type { WireContext } from './context';

/** Private rooms: seen, entered, read and posted to only by their owner, the users it added, and app users the app names them for. */
export function roomsSuite(ctx: WireContext): void {
  const t = lazyTarget(ctx);

  async function privateRoom(owner: SessionView): Promise<RoomView> {
    const r = await request<RoomView>(t.url, 'POST', '/api/v1/rooms', {
      token: owner.token,
      json: { name: `private-${randomSuffix()}`, visibility: 'private' },
    });
    if (r.status !== 201) throw new Error(`room creation failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Every way a user could reach the room, and what it got. */
  async function reach(room: RoomView, who: { token: string } | undefined) {
    const token = who?.token;
    const info = await request(t.url, 'GET', `/api/v1/rooms/${room.id}`, token ? { token } : {});
    const members = await request(t.url, 'GET', `/api/v1/rooms/${room.id}/members`, token ? { token } : {});
    const history = token ? (await request(t.url, 'GET', `/api/v1/rooms/${room.id}/messages`, { token })).status : 401;
    const handshake = token ? await connectError(t.url, { token, roomId: room.id }).catch(() => 'connected') : 'no token';
    return { info: info.status, members: members.status, history, handshake };
  }

  describe('rooms and access', () => {
    test('POST /api/v1/rooms creates a room owned by the caller; names are unique', async () => {
      const owner = await newSession(t.url);
      const name = `club-${randomSuffix()}`;
      expect((await request(t.url, 'POST', '/api/v1/rooms', { json: { name } })).status).toBe(401);
      const made = await request<RoomView>(t.url, 'POST', '/api/v1/rooms', { token: owner.token, json: { name } });
      expect(made.status).toBe(201);
      expect(made.body).toEqual({ id: expect.stringMatching(/^room_[0-9a-f]{32}$/), name, createdAt: expect.any(String), online: 0, visibility: 'public' });
      const again = await request(t.url, 'POST', '/api/v1/rooms', { token: owner.token, json: { name, visibility: 'private' } });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('name_taken');
      for (const json of [{}, { name: '' }, { name, visibility: 'secret' }, { name: 'a\u202eb' }]) {
        expect((await request(t.url, 'POST', '/api/v1/rooms', { token: owner.token, json })).status).toBe(400);
      }
      // Rooms made by a session stay public.
      const s = await newSession(t.url);
      expect((await request(t.url, 'GET', `/api/v1/rooms/${s.roomId}`)).body.visibility).toBe('public');
    });

    test('a private room is invisible (404) to everyone but its owner', async () => {
      const owner = await newSession(t.url);
      const room = await privateRoom(owner);
      expect(await reach(room, owner)).toEqual({ info: 200, members: 200, history: 200, handshake: 'connected' });
      const stranger = await newSession(t.url);
      expect(await reach(room, stranger)).toEqual({ info: 404, members: 404, history: 404, handshake: 'not_found' });
      expect(await reach(room, undefined)).toEqual({ info: 404, members: 404, history: 401, handshake: 'no token' });
      const c = await ctx.open(t.url, { token: stranger.token });
      expect(await c.request('join', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
      // The seed routes do not show it either.
      expect((await request(t.url, 'POST', '/mysql/getRoomInfo', { json: { roomId: room.id } })).status).toBe(404);
    });

    test('a session naming a private room does not enter it, and burns no nickName', async () => {
      const owner = await newSession(t.url);
      const room = await privateRoom(owner);
      const nickName = `n-${randomSuffix()}`;
      const refused = await request(t.url, 'POST', '/api/v1/sessions', { json: { nickName, chatroomName: room.name } });
      expect(refused.status).toBe(404);
      expect(refused.body.error.code).toBe('not_found');
      const seed = await request(t.url, 'POST', '/mysql/createChatroom', { json: { nickName, chatroomName: room.name } });
      expect(seed.body).toEqual({ success: false, error: { code: 'not_found', message: expect.any(String) } });
      // The nickName was not taken by the refused sessions.
      expect((await newSession(t.url, { nickName })).userKey).toEqual(expect.any(String));
      // The owner's own session by that name enters it.
      const mine = await newSession(t.url, { nickName: owner.nickName, chatroomName: room.name, token: owner.token });
      expect(mine.roomId).toBe(room.id);
    });

    test('the owner adds a user, who may then enter, read and post; only the owner may change members', async () => {
      const owner = await newSession(t.url);
      const room = await privateRoom(owner);
      const guest = await newSession(t.url);
      const members = `/api/v1/rooms/${room.id}/members`;
      expect((await request(t.url, 'POST', members, { token: guest.token, json: { userId: guest.userId } })).status).toBe(404);
      expect((await request(t.url, 'POST', members, { json: { userId: guest.userId } })).status).toBe(401);
      expect((await request(t.url, 'POST', members, { token: owner.token, json: { userId: UNKNOWN_USER } })).status).toBe(404);
      expect((await request(t.url, 'POST', members, { token: owner.token, json: { userId: 'user_nope' } })).status).toBe(400);
      expect((await request(t.url, 'POST', members, { token: owner.token, json: { userId: guest.userId } })).status).toBe(204);
      expect((await request(t.url, 'POST', members, { token: owner.token, json: { userId: guest.userId } })).status).toBe(204);
      expect(await reach(room, guest)).toEqual({ info: 200, members: 200, history: 403, handshake: 'connected' });
      // Seen but not owned: `forbidden`.
      const third = await newSession(t.url);
      const notOwner = await request(t.url, 'POST', members, { token: guest.token, json: { userId: third.userId } });
      expect(notOwner.status).toBe(403);
      expect(notOwner.body.error.code).toBe('forbidden');
      expect((await request(t.url, 'DELETE', `${members}/${owner.userId}`, { token: guest.token })).body.error.code).toBe('forbidden');
      const c = await ctx.open(t.url, { token: guest.token, roomId: room.id });
      const sent = await c.request<{ message: ChatMessage }>('message', { roomId: room.id, content: 'inside' });
      expect(sent.ok).toBe(true);
      const page = await request(t.url, 'GET', `/api/v1/rooms/${room.id}/messages`, { token: guest.token });
      expect(page.body.messages.map((m: ChatMessage) => m.content)).toContain('inside');
    });

    test('a removed user leaves the room on every socket at once and cannot come back', async () => {
      const owner = await newSession(t.url);
      const room = await privateRoom(owner);
      const guest = await newSession(t.url);
      await request(t.url, 'POST', `/api/v1/rooms/${room.id}/members`, { token: owner.token, json: { userId: guest.userId } });
      const co = await ctx.open(t.url, { token: owner.token, roomId: room.id });
      const tabs = [await ctx.open(t.url, { token: guest.token, roomId: room.id }), await ctx.open(t.url, { token: guest.token, roomId: room.id })];
      const removed: string[][] = [[], []];
      tabs.forEach((c, i) => c.socket.on('removed', (info: { roomId: string }) => removed[i]!.push(info.roomId)));
      await co.waitForMembers((u) => u.members.some((m) => m.userId === guest.userId), 'the guest online');
      const del = await request(t.url, 'DELETE', `/api/v1/rooms/${room.id}/members/${guest.userId}`, { token: owner.token });
      expect(del.status).toBe(204);
      await waitUntil(() => removed.every((r) => r.length === 1), { what: 'both tabs told they were removed' });
      expect(removed).toEqual([[room.id], [room.id]]);
      for (const c of tabs) {
        expect(await c.request('message', { roomId: room.id, content: 'still here?' })).toMatchObject({ ok: false, error: { code: 'not_member' } });
        expect(await c.request('join', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
        expect(c.socket.connected).toBe(true);
      }
      await co.waitForMessage((m) => m.event === 'leave' && m.userId === guest.userId, 'the guest’s leave');
      const marker = await co.request<{ message: ChatMessage }>('message', { roomId: room.id, content: 'after the removal' });
      if (!marker.ok) throw new Error('owner send failed');
      await co.waitForMessage((m) => m.id === marker.message.id, 'the marker');
      for (const c of tabs) expect(c.messages.find((m) => m.content === 'after the removal')).toBeUndefined();
      expect(await reach(room, guest)).toEqual({ info: 404, members: 404, history: 404, handshake: 'not_found' });
    });

    test('an app user whose token names the private room may enter it without being added', async () => {
      const owner = await newSession(t.url);
      const room = await privateRoom(owner);
      const named = await appSession(t, { sub: `s-${randomSuffix()}`, name: 'Named', rooms: [room.name] });
      const unnamed = await appSession(t, { sub: `s-${randomSuffix()}`, name: 'Unnamed', rooms: [`other-${randomSuffix()}`] });
      expect(await reach(room, named)).toEqual({ info: 200, members: 200, history: 403, handshake: 'connected' });
      expect(await reach(room, unnamed)).toEqual({ info: 404, members: 404, history: 404, handshake: 'not_found' });
      const c = await ctx.open(t.url, { token: named.token, roomId: room.id });
      expect((await c.request('message', { roomId: room.id, content: 'vouched for' })).ok).toBe(true);
    });
  });
}
