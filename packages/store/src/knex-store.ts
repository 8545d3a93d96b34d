import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ChatError } from '@chat/protocol';
import type { ChatStore, HistoryQuery, RoomRecord, StoredMessage, StoredPage, UserRecord } from './types';
import {
  fromMessage,
  toMessage,
  toRoom,
  toUser,
  type MemberRow,
  type MessageRow,
  type RoomRow,
  type UserRow,
} from './rows';
import { WIDTH, assertWidth } from './guards';

/**
 * Rows per INSERT. Knex compiles a multi-row insert on SQLite as one compound SELECT,
 * which SQLite caps at 500 terms; 500 x 10 columns also stays far below bind-variable limits.
 */
const INSERT_CHUNK = 500;

function newId(prefix: 'room' | 'user'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}

function assertSeq(name: string, n: number): void {
  if (!Number.isSafeInteger(n)) throw new ChatError('bad_request', `${name} must be an integer.`);
}

/**
 * The ChatStore on knex, for MySQL/MariaDB (mysql2) and SQLite (better-sqlite3) alike.
 * The knex instance is owned by the caller, who also destroys it; run `migrateLatest` first.
 */
export function createKnexStore(knex: Knex): ChatStore {
  const rooms = (db: Knex = knex) => db<RoomRow>('rooms');
  const users = (db: Knex = knex) => db<UserRow>('users');
  const members = () => knex<MemberRow>('room_members');
  const messages = (db: Knex = knex) => db<MessageRow>('messages');

  async function roomByName(name: string): Promise<RoomRow | undefined> {
    return rooms().where({ name }).first();
  }

  async function userByNick(nickName: string): Promise<UserRow | undefined> {
    return users().where({ nick_name: nickName }).first();
  }

  return {
    async upsertRoom(name: string, now: number): Promise<RoomRecord> {
      assertWidth('Room name', name, WIDTH.roomName);
      let row = await roomByName(name);
      if (!row) {
        // Concurrent creators race on the unique name: every loser's insert is ignored
        // and all of them read back the single winner.
        await rooms()
          .insert({ id: newId('room'), name, status: 'active', created_at: now })
          .onConflict('name')
          .ignore();
        row = await roomByName(name);
        if (!row) throw new Error(`room ${JSON.stringify(name)} vanished right after its insert`);
      }
      if (row.status !== 'active') {
        await rooms().where({ id: row.id }).update({ status: 'active' });
        row = { ...row, status: 'active' };
      }
      return toRoom(row);
    },

    async upsertUser(nickName: string, headNum: number | undefined, now: number): Promise<UserRecord> {
      assertWidth('Nick name', nickName, WIDTH.nickName);
      if (headNum !== undefined && !Number.isSafeInteger(headNum)) {
        throw new ChatError('bad_request', 'headNum must be an integer.');
      }
      let row = await userByNick(nickName);
      if (!row) {
        await users()
          .insert({ id: newId('user'), nick_name: nickName, head_num: headNum ?? 0, created_at: now, updated_at: now })
          .onConflict('nick_name')
          .ignore();
        row = await userByNick(nickName);
        if (!row) throw new Error(`user ${JSON.stringify(nickName)} vanished right after its insert`);
      }
      // Also covers losing a creation race to a caller with another headNum: the last one given wins.
      if (headNum !== undefined && Number(row.head_num) !== headNum) {
        await users().where({ id: row.id }).update({ head_num: headNum, updated_at: now });
        row = { ...row, head_num: headNum, updated_at: now };
      }
      return toUser(row);
    },

    async addMembership(roomId: string, userId: string, now: number): Promise<void> {
      assertWidth('Room id', roomId, WIDTH.id);
      assertWidth('User id', userId, WIDTH.id);
      // The first join time is kept; re-entering changes nothing.
      await members().insert({ room_id: roomId, user_id: userId, joined_at: now }).onConflict(['room_id', 'user_id']).ignore();
    },

    async isMember(roomId: string, userId: string): Promise<boolean> {
      const row = await members().select('room_id').where({ room_id: roomId, user_id: userId }).first();
      return row !== undefined;
    },

    async getRoom(id: string): Promise<RoomRecord | undefined> {
      const row = await rooms().where({ id }).first();
      return row && toRoom(row);
    },

    async getUser(id: string): Promise<UserRecord | undefined> {
      const row = await users().where({ id }).first();
      return row && toUser(row);
    },

    async countRooms(): Promise<number> {
      const row = await rooms().count<{ n: number | string }>({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },

    async appendMessages(batch: readonly StoredMessage[]): Promise<void> {
      if (batch.length === 0) return;
      for (const m of batch) {
        assertWidth('Message id', m.id, WIDTH.id);
        assertWidth('Room id', m.roomId, WIDTH.id);
        assertWidth('User id', m.userId, WIDTH.id);
        assertWidth('Nick name', m.nickName, WIDTH.nickName);
        assertWidth('Content', m.content, WIDTH.content, 'too_large');
        if (m.clientMsgId !== undefined) assertWidth('clientMsgId', m.clientMsgId, WIDTH.clientMsgId);
        assertSeq('seq', m.seq);
      }
      const rows = batch.map(fromMessage);
      // A plain INSERT (never IGNORE): any duplicate key fails the statement. One
      // statement is atomic on its own (autocommit): one round trip, the common case.
      if (rows.length <= INSERT_CHUNK) {
        await messages().insert(rows);
        return;
      }
      // Bigger batches take several statements; the transaction rolls back every
      // chunk on a failure, so the batch is stored whole or not at all.
      await knex.transaction(async (trx) => {
        for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
          await messages(trx).insert(rows.slice(i, i + INSERT_CHUNK));
        }
      });
    },

    async findByClientMsgId(roomId: string, userId: string, clientMsgId: string): Promise<StoredMessage | undefined> {
      const row = await messages().where({ room_id: roomId, user_id: userId, client_msg_id: clientMsgId }).first();
      return row && toMessage(row);
    },

    async history(roomId: string, query: HistoryQuery): Promise<StoredPage> {
      const limit = Math.max(0, Math.floor(query.limit));
      if (!Number.isFinite(limit)) throw new ChatError('bad_request', 'limit must be a number.');
      const q = messages().where({ room_id: roomId });
      if (query.before !== undefined) {
        assertSeq('before', query.before);
        q.andWhere('seq', '<', query.before);
      }
      // One row more than asked tells whether an older page exists.
      const rows = await q.orderBy('seq', 'desc').limit(limit + 1);
      const hasMore = rows.length > limit;
      const page = rows.slice(0, limit).reverse();
      return { messages: page.map(toMessage), hasMore };
    },

    async range(roomId: string, afterSeq: number, uptoSeq: number): Promise<StoredMessage[]> {
      assertSeq('afterSeq', afterSeq);
      assertSeq('uptoSeq', uptoSeq);
      const rows = await messages()
        .where({ room_id: roomId })
        .andWhere('seq', '>', afterSeq)
        .andWhere('seq', '<=', uptoSeq)
        .orderBy('seq', 'asc');
      return rows.map(toMessage);
    },

    async maxSeq(roomId: string): Promise<number> {
      const row = await messages().max<{ m: number | string | null }>({ m: 'seq' }).where({ room_id: roomId }).first();
      return Number(row?.m ?? 0);
    },

    async ping(): Promise<void> {
      await knex.select(knex.raw('1 as ok'));
    },
  };
}
