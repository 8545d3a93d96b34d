import type { Knex } from 'knex';
import { ChatError } from '@chat/protocol';
import type { ChatStore } from './types';
import { fromMessage, toMessage, type MessageRow } from './rows';
import { WIDTH, assertWidth } from './guards';

/**
 * Rows per INSERT. Knex compiles a multi-row insert on SQLite as one compound SELECT,
 * which SQLite caps at 500 terms; 500 x 10 columns also stays far below bind-variable limits.
 */
const INSERT_CHUNK = 500;

type MessageQueries = Pick<ChatStore, 'appendMessages' | 'findByClientMsgId' | 'history' | 'range' | 'maxSeq'>;

function assertSeq(name: string, n: number): void {
  if (!Number.isSafeInteger(n)) throw new ChatError('bad_request', `${name} must be an integer.`);
}

/** The message log: appended in groups, read by seq ranges of one room (its clustered key). */
export function messageQueries(knex: Knex): MessageQueries {
  const messages = (db: Knex = knex) => db<MessageRow>('messages');

  return {
    async appendMessages(batch) {
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

    async findByClientMsgId(roomId, userId, clientMsgId) {
      const row = await messages().where({ room_id: roomId, user_id: userId, client_msg_id: clientMsgId }).first();
      return row && toMessage(row);
    },

    async history(roomId, query) {
      const limit = Math.max(0, Math.floor(query.limit));
      if (!Number.isFinite(limit)) throw new ChatError('bad_request', 'limit must be a number.');
      const q = messages().where({ room_id: roomId });
      if (query.after !== undefined) {
        assertSeq('after', query.after);
        // Forward: the oldest `limit` above `after`, one more to tell whether a newer page exists.
        const rows = await q
          .andWhere('seq', '>', query.after)
          .orderBy('seq', 'asc')
          .limit(limit + 1);
        return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit };
      }
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

    async range(roomId, afterSeq, uptoSeq) {
      assertSeq('afterSeq', afterSeq);
      assertSeq('uptoSeq', uptoSeq);
      const rows = await messages().where({ room_id: roomId }).andWhere('seq', '>', afterSeq).andWhere('seq', '<=', uptoSeq).orderBy('seq', 'asc');
      return rows.map(toMessage);
    },

    async maxSeq(roomId) {
      const row = await messages().max<{ m: number | string | null }>({ m: 'seq' }).where({ room_id: roomId }).first();
      return Number(row?.m ?? 0);
    },
  };
}
