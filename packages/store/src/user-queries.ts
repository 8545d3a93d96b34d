import type { Knex } from 'knex';
import { ChatError } from '@chat/protocol';
import type { ChatStore, GuestRecord } from './types';
import { toAppUser, toGuest, toUser, type AppUserRow, type UserRow } from './rows';
import { WIDTH, assertWidth } from './guards';
import { newId } from './ids';

type UserQueries = Pick<ChatStore, 'findGuestByNick' | 'createGuest' | 'setGuestKeyIfMissing' | 'setGuestHeadNum' | 'upsertAppUser' | 'getUser'>;

/** Guests (unique nickNames, each owned by a key) and users apps vouch for (display names, ids derived from the app's). */
export function userQueries(knex: Knex): UserQueries {
  const users = () => knex<UserRow>('users');
  const appUsers = () => knex<AppUserRow>('app_users');

  async function guestByNick(nickName: string): Promise<GuestRecord | undefined> {
    const row = await users().where({ nick_name: nickName }).first();
    return row && toGuest(row);
  }

  function assertHeadNum(headNum: number): void {
    if (!Number.isSafeInteger(headNum)) throw new ChatError('bad_request', 'headNum must be an integer.');
  }

  return {
    async findGuestByNick(nickName) {
      assertWidth('Nick name', nickName, WIDTH.nickName);
      return guestByNick(nickName);
    },

    async createGuest(nickName, headNum, keyHash, now) {
      assertWidth('Nick name', nickName, WIDTH.nickName);
      assertHeadNum(headNum);
      const id = newId('user');
      await users()
        .insert({ id, nick_name: nickName, head_num: headNum, created_at: now, updated_at: now, key_hash: keyHash })
        .onConflict('nick_name')
        .ignore();
      const guest = await guestByNick(nickName);
      if (!guest) throw new Error(`user ${JSON.stringify(nickName)} vanished right after its insert`);
      return { guest, created: guest.id === id };
    },

    async setGuestKeyIfMissing(userId, keyHash, now) {
      // One statement: of two sessions upgrading the same old user, exactly one sets its key.
      const updated = await users().where({ id: userId }).whereNull('key_hash').update({ key_hash: keyHash, updated_at: now });
      return Number(updated) === 1;
    },

    async setGuestHeadNum(userId, headNum, now) {
      assertHeadNum(headNum);
      await users().where({ id: userId }).update({ head_num: headNum, updated_at: now });
    },

    async upsertAppUser(user, now) {
      assertWidth('User id', user.id, WIDTH.id);
      assertWidth('Name', user.nickName, WIDTH.nickName);
      assertHeadNum(user.headNum);
      await appUsers()
        .insert({ id: user.id, name: user.nickName, head_num: user.headNum, created_at: now, updated_at: now })
        .onConflict('id')
        .merge(['name', 'head_num', 'updated_at']);
      const row = await appUsers().where({ id: user.id }).first();
      if (!row) throw new Error(`app user ${user.id} vanished right after its upsert`);
      return toAppUser(row);
    },

    async getUser(id) {
      if (id.startsWith('app_')) {
        const row = await appUsers().where({ id }).first();
        return row && toAppUser(row);
      }
      const row = await users().where({ id }).first();
      return row && toUser(row);
    },
  };
}
