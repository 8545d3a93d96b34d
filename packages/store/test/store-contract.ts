import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { isChatError } from '@chat/protocol';
import { createKnexStore, isUniqueViolation, migrateLatest, type ChatStore, type StoredMessage } from '../src';

/** A migrated database for one suite; `close` destroys the knex instance and removes the database. */
export interface StoreFixture {
  knex: Knex;
  close(): Promise<void>;
}

/** The error a promise rejects with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The behaviour every ChatStore backend must show, run once per dialect. */
export function storeContract(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`ChatStore contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: ChatStore;
    const now = 1_700_000_000_000;
    const uniq = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

    /** A fresh room id per test keeps tests independent in one database. */
    const roomId = () => `room_t${randomUUID().replace(/-/g, '')}`;
    let idCounter = 0;
    function msg(room: string, seq: number, extra: Partial<StoredMessage> = {}): StoredMessage {
      idCounter += 1;
      return {
        id: `msg_${randomUUID().replace(/-/g, '')}`.slice(0, 40),
        roomId: room,
        seq,
        userId: 'user_a',
        nickName: 'alice',
        content: `message ${seq} #${idCounter}`,
        kind: 'user',
        sentAt: now + seq,
        ...extra,
      };
    }

    beforeAll(async () => {
      fixture = await factory();
      store = createKnexStore(fixture.knex);
    });

    afterAll(async () => {
      await fixture?.close();
    });

    test('migrations run again as a no-op', async () => {
      await migrateLatest(fixture.knex);
      await migrateLatest(fixture.knex);
      const done = await fixture.knex('chat_migrations').select('name');
      expect(done.map((r: { name: string }) => r.name)).toEqual(['0001_initial', '0002_identity_and_access', '0003_no_pad_collation']);
    });

    test('ping resolves', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('rooms', () => {
      test('same name, same id', async () => {
        const name = uniq('room');
        const a = await store.upsertRoom(name, now);
        const b = await store.upsertRoom(name, now + 5);
        expect(a).toEqual({ id: expect.stringMatching(/^room_[0-9a-f]{32}$/), name, status: 'active', createdAt: now, visibility: 'public' });
        expect(b).toEqual(a);
        await expect(store.getRoom(a.id)).resolves.toEqual(a);
      });

      test('names compare case-sensitively', async () => {
        const name = uniq('Case');
        const upper = await store.upsertRoom(name, now);
        const lower = await store.upsertRoom(name.toLowerCase(), now);
        expect(lower.id).not.toBe(upper.id);
      });

      test('concurrent upserts of one new name give one room', async () => {
        const name = uniq('race');
        const results = await Promise.all(Array.from({ length: 10 }, () => store.upsertRoom(name, now)));
        expect(new Set(results.map((r) => r.id)).size).toBe(1);
        const rows = await fixture.knex('rooms').where({ name });
        expect(rows).toHaveLength(1);
      });

      test('an inactive room is reactivated', async () => {
        const room = await store.upsertRoom(uniq('sleepy'), now);
        await fixture.knex('rooms').where({ id: room.id }).update({ status: 'inactive' });
        await expect(store.getRoom(room.id)).resolves.toMatchObject({ status: 'inactive' });
        const again = await store.upsertRoom(room.name, now + 1);
        expect(again).toEqual({ ...room, status: 'active' });
        await expect(store.getRoom(room.id)).resolves.toMatchObject({ status: 'active' });
      });

      test('unknown ids give undefined', async () => {
        await expect(store.getRoom('room_nope')).resolves.toBeUndefined();
        await expect(store.getUser('user_nope')).resolves.toBeUndefined();
        await expect(store.getUser('app_nope')).resolves.toBeUndefined();
      });

      test('countRooms counts', async () => {
        const before = await store.countRooms();
        await store.upsertRoom(uniq('count'), now);
        await store.upsertRoom(uniq('count'), now);
        await expect(store.countRooms()).resolves.toBe(before + 2);
      });

      test('a name longer than 64 characters is a bad_request, 64 emoji fit', async () => {
        expect(isChatError(await rejectionOf(store.upsertRoom('x'.repeat(65), now)), 'bad_request')).toBe(true);
        const emojiName = `${'😀'.repeat(55)}${randomUUID().slice(0, 9)}`;
        const room = await store.upsertRoom(emojiName, now);
        await expect(store.getRoom(room.id)).resolves.toMatchObject({ name: emojiName });
      });
    });

    describe('guests', () => {
      test('a new nickName is created with its key hash; the hash is never in the public view', async () => {
        const nick = uniq('nick');
        const { guest, created } = await store.createGuest(nick, 0, 'h'.repeat(64), now);
        expect(created).toBe(true);
        expect(guest).toEqual({
          id: expect.stringMatching(/^user_[0-9a-f]{32}$/),
          nickName: nick,
          headNum: 0,
          createdAt: now,
          updatedAt: now,
          keyHash: 'h'.repeat(64),
        });
        await expect(store.findGuestByNick(nick)).resolves.toEqual(guest);
        const { keyHash: _hidden, ...view } = guest;
        await expect(store.getUser(guest.id)).resolves.toEqual(view);
        await store.setGuestHeadNum(guest.id, 7, now + 20);
        await expect(store.getUser(guest.id)).resolves.toEqual({ ...view, headNum: 7, updatedAt: now + 20 });
      });

      test('of concurrent creations of one nickName exactly one wins; the others get the winner', async () => {
        const nick = uniq('crowd');
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.createGuest(nick, 0, String(i).repeat(64), now)));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.guest.id)).size).toBe(1);
        const winner = results.find((r) => r.created)!;
        for (const r of results) expect(r.guest.keyHash).toBe(winner.guest.keyHash);
      });

      test('a guest from before keys gets a key once', async () => {
        const nick = uniq('old');
        const { guest } = await store.createGuest(nick, 0, 'a'.repeat(64), now);
        await fixture.knex('users').where({ id: guest.id }).update({ key_hash: null });
        await expect(store.findGuestByNick(nick)).resolves.not.toHaveProperty('keyHash');
        const results = await Promise.all([
          store.setGuestKeyIfMissing(guest.id, 'b'.repeat(64), now),
          store.setGuestKeyIfMissing(guest.id, 'c'.repeat(64), now),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.setGuestKeyIfMissing(guest.id, 'd'.repeat(64), now)).toBe(false);
      });

      test('nickNames compare as bytes: case, a trailing space and composed forms are other names', async () => {
        const nick = uniq('Pad');
        await store.createGuest(nick, 0, 'a'.repeat(64), now);
        await expect(store.findGuestByNick(`${nick} `)).resolves.toBeUndefined();
        await expect(store.findGuestByNick(nick.toLowerCase())).resolves.toBeUndefined();
      });
    });

    describe('app users', () => {
      test('upserted by their derived id; name and avatar follow the latest token', async () => {
        const id = `app_${randomUUID().replace(/-/g, '')}`;
        const first = await store.upsertAppUser({ id, nickName: 'Ada', headNum: 3 }, now);
        expect(first).toEqual({ id, nickName: 'Ada', headNum: 3, createdAt: now, updatedAt: now });
        const again = await store.upsertAppUser({ id, nickName: 'Ada L.', headNum: 4 }, now + 5);
        expect(again).toEqual({ id, nickName: 'Ada L.', headNum: 4, createdAt: now, updatedAt: now + 5 });
        await expect(store.getUser(id)).resolves.toEqual(again);
        // Display names are not unique.
        const twin = await store.upsertAppUser({ id: `app_${randomUUID().replace(/-/g, '')}`, nickName: 'Ada L.', headNum: 0 }, now);
        expect(twin.id).not.toBe(id);
      });
    });

    describe('owned and private rooms', () => {
      test('createRoom records owner and visibility; a taken name is not created again', async () => {
        const name = uniq('private');
        const made = await store.createRoom(name, { visibility: 'private', ownerId: 'user_owner' }, now);
        expect(made.created).toBe(true);
        expect(made.room).toEqual({
          id: expect.stringMatching(/^room_[0-9a-f]{32}$/),
          name,
          status: 'active',
          createdAt: now,
          visibility: 'private',
          ownerId: 'user_owner',
        });
        await expect(store.findRoomByName(name)).resolves.toEqual(made.room);
        const again = await store.createRoom(name, { visibility: 'public', ownerId: 'user_other' }, now);
        expect(again).toEqual({ room: made.room, created: false });
        // A session naming it finds the same private room; it does not make it public.
        await expect(store.upsertRoom(name, now)).resolves.toEqual(made.room);
        await expect(store.findRoomByName(uniq('nothing'))).resolves.toBeUndefined();
      });

      test('grants are idempotent and can be taken back', async () => {
        const { room } = await store.createRoom(uniq('club'), { visibility: 'private', ownerId: 'user_owner' }, now);
        await expect(store.hasGrant(room.id, 'user_guest')).resolves.toBe(false);
        await store.addGrant(room.id, 'user_guest', now);
        await Promise.all([store.addGrant(room.id, 'user_guest', now), store.addGrant(room.id, 'user_guest', now)]);
        await expect(store.hasGrant(room.id, 'user_guest')).resolves.toBe(true);
        await expect(store.hasGrant(room.id, 'user_other')).resolves.toBe(false);
        await expect(store.removeGrant(room.id, 'user_guest')).resolves.toBe(true);
        await expect(store.removeGrant(room.id, 'user_guest')).resolves.toBe(false);
        await expect(store.hasGrant(room.id, 'user_guest')).resolves.toBe(false);
      });

      test('room ids compare as bytes: the id with a trailing space is no room', async () => {
        const room = await store.upsertRoom(uniq('exact'), now);
        await expect(store.getRoom(`${room.id} `)).resolves.toBeUndefined();
        await expect(store.getRoom(room.id.toUpperCase())).resolves.toBeUndefined();
      });
    });

    describe('memberships', () => {
      test('idempotent, and isMember tells', async () => {
        const room = await store.upsertRoom(uniq('club'), now);
        const user = (await store.createGuest(uniq('member'), 0, 'a'.repeat(64), now)).guest;
        const other = (await store.createGuest(uniq('outsider'), 0, 'a'.repeat(64), now)).guest;
        await expect(store.isMember(room.id, user.id)).resolves.toBe(false);
        await store.addMembership(room.id, user.id, now);
        await store.addMembership(room.id, user.id, now + 1);
        await Promise.all([store.addMembership(room.id, user.id, now + 2), store.addMembership(room.id, user.id, now + 3)]);
        await expect(store.isMember(room.id, user.id)).resolves.toBe(true);
        await expect(store.isMember(room.id, other.id)).resolves.toBe(false);
        const rows = await fixture.knex('room_members').where({ room_id: room.id });
        expect(rows).toHaveLength(1);
        expect(Number(rows[0].joined_at)).toBe(now);
      });
    });

    describe('messages', () => {
      test('empty room: maxSeq 0, empty history', async () => {
        const room = roomId();
        await expect(store.maxSeq(room)).resolves.toBe(0);
        await expect(store.history(room, { limit: 10 })).resolves.toEqual({ messages: [], hasMore: false });
        await store.appendMessages([]);
      });

      test('a batch is stored and paged oldest-first', async () => {
        const room = roomId();
        const batch = Array.from({ length: 25 }, (_, i) => msg(room, i + 1));
        await store.appendMessages(batch);
        await expect(store.maxSeq(room)).resolves.toBe(25);

        const newest = await store.history(room, { limit: 10 });
        expect(newest.hasMore).toBe(true);
        expect(newest.messages).toEqual(batch.slice(15, 25));

        const older = await store.history(room, { before: 16, limit: 10 });
        expect(older.messages.map((m) => m.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        expect(older.hasMore).toBe(true);

        const oldest = await store.history(room, { before: 6, limit: 10 });
        expect(oldest.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(oldest.hasMore).toBe(false);

        const exact = await store.history(room, { before: 11, limit: 10 });
        expect(exact.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(exact.hasMore).toBe(false);

        const all = await store.history(room, { limit: 100 });
        expect(all).toEqual({ messages: batch, hasMore: false });
      });

      test('forward pages: the oldest `limit` above `after`, oldest first', async () => {
        const room = roomId();
        const batch = Array.from({ length: 12 }, (_, i) => msg(room, i + 1));
        await store.appendMessages(batch);
        const first = await store.history(room, { after: 0, limit: 5 });
        expect(first).toEqual({ messages: batch.slice(0, 5), hasMore: true });
        const next = await store.history(room, { after: 5, limit: 5 });
        expect(next.messages.map((m) => m.seq)).toEqual([6, 7, 8, 9, 10]);
        const last = await store.history(room, { after: 10, limit: 5 });
        expect(last).toEqual({ messages: batch.slice(10), hasMore: false });
        await expect(store.history(room, { after: 12, limit: 5 })).resolves.toEqual({ messages: [], hasMore: false });
      });

      test('rooms do not leak into each other', async () => {
        const a = roomId();
        const b = roomId();
        await store.appendMessages([msg(a, 1), msg(b, 1), msg(a, 2)]);
        const page = await store.history(b, { limit: 10 });
        expect(page.messages.map((m) => [m.roomId, m.seq])).toEqual([[b, 1]]);
        await expect(store.maxSeq(a)).resolves.toBe(2);
      });

      test('range returns afterSeq < seq <= uptoSeq oldest-first', async () => {
        const room = roomId();
        const batch = Array.from({ length: 10 }, (_, i) => msg(room, i + 1));
        await store.appendMessages(batch);
        await expect(store.range(room, 3, 6)).resolves.toEqual(batch.slice(3, 6));
        await expect(store.range(room, 8, 20)).resolves.toEqual(batch.slice(8));
        await expect(store.range(room, 5, 5)).resolves.toEqual([]);
      });

      test('optional fields round-trip and are absent when unset', async () => {
        const room = roomId();
        const system = msg(room, 1, { kind: 'system', event: 'join', content: 'alice joined' });
        const user = msg(room, 2, { clientMsgId: 'c-1' });
        await store.appendMessages([system, user]);
        const { messages } = await store.history(room, { limit: 10 });
        expect(messages).toEqual([system, user]);
        expect(Object.keys(messages[0]!)).not.toContain('clientMsgId');
        expect(Object.keys(messages[1]!)).not.toContain('event');
        expect(typeof messages[0]!.seq).toBe('number');
        expect(typeof messages[0]!.sentAt).toBe('number');
      });

      test('a duplicate (room, seq) rejects the whole batch', async () => {
        const room = roomId();
        await store.appendMessages([msg(room, 1), msg(room, 2)]);
        const bad = [msg(room, 3), msg(room, 4), msg(room, 2)];
        expect(isUniqueViolation(await rejectionOf(store.appendMessages(bad)))).toBe(true);
        await expect(store.maxSeq(room)).resolves.toBe(2);
        const all = await store.history(room, { limit: 10 });
        expect(all.messages.map((m) => m.seq)).toEqual([1, 2]);
      });

      test('a duplicate inside a later chunk rolls back the earlier chunks', async () => {
        const room = roomId();
        await store.appendMessages([msg(room, 1200)]);
        const big = Array.from({ length: 1200 }, (_, i) => msg(room, i + 1)); // seq 1200 collides, in the third chunk
        expect(isUniqueViolation(await rejectionOf(store.appendMessages(big)))).toBe(true);
        await expect(store.range(room, 0, 2000)).resolves.toHaveLength(1);
      });

      test('batches above one chunk are stored whole', async () => {
        const room = roomId();
        const big = Array.from({ length: 1100 }, (_, i) => msg(room, i + 1));
        await store.appendMessages(big);
        await expect(store.maxSeq(room)).resolves.toBe(1100);
        await expect(store.range(room, 0, 1100)).resolves.toEqual(big);
      });

      test('a duplicate clientMsgId of the same user rejects; findByClientMsgId finds it', async () => {
        const room = roomId();
        const first = msg(room, 1, { clientMsgId: 'dup-1' });
        await store.appendMessages([first]);
        expect(isUniqueViolation(await rejectionOf(store.appendMessages([msg(room, 2, { clientMsgId: 'dup-1' })])))).toBe(true);
        await expect(store.findByClientMsgId(room, 'user_a', 'dup-1')).resolves.toEqual(first);
        await expect(store.findByClientMsgId(room, 'user_a', 'dup-2')).resolves.toBeUndefined();
        await expect(store.findByClientMsgId(room, 'user_b', 'dup-1')).resolves.toBeUndefined();
        // Another user may use the same clientMsgId, and system messages carry none at all.
        await store.appendMessages([
          msg(room, 2, { clientMsgId: 'dup-1', userId: 'user_b' }),
          msg(room, 3, { kind: 'system', event: 'leave' }),
          msg(room, 4, { kind: 'system', event: 'join' }),
        ]);
        await expect(store.maxSeq(room)).resolves.toBe(4);
      });

      test('hostile-looking text and emoji are stored verbatim', async () => {
        const room = roomId();
        const contents = ["'; DROP TABLE messages; --", '<script>alert(1)</script>', '😀', 'a\\b "q" `x` %_ \u0000 é'];
        const batch = contents.map((content, i) => msg(room, i + 1, { content, nickName: i === 2 ? '😀🎉' : "o'brien", clientMsgId: `'; --${i}` }));
        await store.appendMessages(batch);
        await expect(store.range(room, 0, 10)).resolves.toEqual(batch);
        await expect(store.findByClientMsgId(room, 'user_a', "'; --0")).resolves.toEqual(batch[0]);

        const roomName = `'; DROP TABLE rooms; -- ${randomUUID().slice(0, 6)}`;
        const r = await store.upsertRoom(roomName, now);
        await expect(store.getRoom(r.id)).resolves.toMatchObject({ name: roomName });
        const nick = `<script>${randomUUID().slice(0, 6)}😀`;
        const u = (await store.createGuest(nick, 0, 'a'.repeat(64), now)).guest;
        await expect(store.getUser(u.id)).resolves.toMatchObject({ nickName: nick });
        await expect(store.maxSeq(room)).resolves.toBe(4);
      });

      test('4000 characters round-trip, 4001 are too_large', async () => {
        const room = roomId();
        const long = '😀'.repeat(1000) + 'é'.repeat(1000) + 'x'.repeat(2000);
        expect([...long]).toHaveLength(4000);
        const m = msg(room, 1, { content: long });
        await store.appendMessages([m]);
        await expect(store.range(room, 0, 1)).resolves.toEqual([m]);
        const tooLong = await rejectionOf(store.appendMessages([msg(room, 2, { content: `${long}!` })]));
        expect(isChatError(tooLong, 'too_large')).toBe(true);
      });
    });
  });
}
