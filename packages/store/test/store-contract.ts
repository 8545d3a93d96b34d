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
      expect(done.map((r: { name: string }) => r.name)).toEqual(['0001_initial']);
    });

    test('ping resolves', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('rooms', () => {
      test('same name, same id', async () => {
        const name = uniq('room');
        const a = await store.upsertRoom(name, now);
        const b = await store.upsertRoom(name, now + 5);
        expect(a).toEqual({ id: expect.stringMatching(/^room_[0-9a-f]{32}$/), name, status: 'active', createdAt: now });
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

    describe('users', () => {
      test('new users default headNum 0; given headNum updates', async () => {
        const nick = uniq('nick');
        const created = await store.upsertUser(nick, undefined, now);
        expect(created).toEqual({
          id: expect.stringMatching(/^user_[0-9a-f]{32}$/),
          nickName: nick,
          headNum: 0,
          createdAt: now,
          updatedAt: now,
        });
        const same = await store.upsertUser(nick, undefined, now + 10);
        expect(same).toEqual(created);
        const changed = await store.upsertUser(nick, 7, now + 20);
        expect(changed).toEqual({ ...created, headNum: 7, updatedAt: now + 20 });
        await expect(store.getUser(created.id)).resolves.toEqual(changed);
      });

      test('a new user takes the given headNum', async () => {
        const user = await store.upsertUser(uniq('head'), 12, now);
        expect(user.headNum).toBe(12);
      });

      test('concurrent upserts of one new nick give one user', async () => {
        const nick = uniq('crowd');
        const results = await Promise.all(Array.from({ length: 10 }, () => store.upsertUser(nick, undefined, now)));
        expect(new Set(results.map((u) => u.id)).size).toBe(1);
      });
    });

    describe('memberships', () => {
      test('idempotent, and isMember tells', async () => {
        const room = await store.upsertRoom(uniq('club'), now);
        const user = await store.upsertUser(uniq('member'), undefined, now);
        const other = await store.upsertUser(uniq('outsider'), undefined, now);
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
        const batch = contents.map((content, i) =>
          msg(room, i + 1, { content, nickName: i === 2 ? '😀🎉' : "o'brien", clientMsgId: `'; --${i}` }),
        );
        await store.appendMessages(batch);
        await expect(store.range(room, 0, 10)).resolves.toEqual(batch);
        await expect(store.findByClientMsgId(room, 'user_a', "'; --0")).resolves.toEqual(batch[0]);

        const roomName = `'; DROP TABLE rooms; -- ${randomUUID().slice(0, 6)}`;
        const r = await store.upsertRoom(roomName, now);
        await expect(store.getRoom(r.id)).resolves.toMatchObject({ name: roomName });
        const nick = `<script>${randomUUID().slice(0, 6)}😀`;
        const u = await store.upsertUser(nick, undefined, now);
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
