import type { Knex } from 'knex';
import type { ChatStore, RoomRecord } from './types';
import { toRoom, type GrantRow, type MemberRow, type RoomRow } from './rows';
import { WIDTH, assertWidth } from './guards';
import { newId } from './ids';

type RoomQueries = Pick<
  ChatStore,
  'upsertRoom' | 'findRoomByName' | 'createRoom' | 'getRoom' | 'countRooms' | 'addMembership' | 'isMember' | 'addGrant' | 'removeGrant' | 'hasGrant'
>;

/** Rooms, who has entered them (memberships) and who may enter a private one (grants). */
export function roomQueries(knex: Knex): RoomQueries {
  const rooms = () => knex<RoomRow>('rooms');
  const members = () => knex<MemberRow>('room_members');
  const grants = () => knex<GrantRow>('room_grants');

  async function byName(name: string): Promise<RoomRecord | undefined> {
    const row = await rooms().where({ name }).first();
    return row && toRoom(row);
  }

  /** Inserts unless the name is taken; every caller of a race reads back the single winner. */
  async function insertOrRead(row: RoomRow): Promise<RoomRecord> {
    await rooms().insert(row).onConflict('name').ignore();
    const room = await byName(row.name);
    if (!room) throw new Error(`room ${JSON.stringify(row.name)} vanished right after its insert`);
    return room;
  }

  return {
    async upsertRoom(name, now) {
      assertWidth('Room name', name, WIDTH.roomName);
      let room = (await byName(name)) ?? (await insertOrRead(newRoomRow(name, now, 'public', null)));
      if (room.status !== 'active') {
        await rooms().where({ id: room.id }).update({ status: 'active' });
        room = { ...room, status: 'active' };
      }
      return room;
    },

    async findRoomByName(name) {
      assertWidth('Room name', name, WIDTH.roomName);
      return byName(name);
    },

    async createRoom(name, opts, now) {
      assertWidth('Room name', name, WIDTH.roomName);
      assertWidth('Owner id', opts.ownerId, WIDTH.id);
      const row = newRoomRow(name, now, opts.visibility, opts.ownerId);
      const room = await insertOrRead(row);
      return { room, created: room.id === row.id };
    },

    async getRoom(id) {
      const row = await rooms().where({ id }).first();
      return row && toRoom(row);
    },

    async countRooms() {
      const row = await rooms().count<{ n: number | string }>({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },

    async addMembership(roomId, userId, now) {
      assertWidth('Room id', roomId, WIDTH.id);
      assertWidth('User id', userId, WIDTH.id);
      // The first join time is kept; re-entering changes nothing.
      await members().insert({ room_id: roomId, user_id: userId, joined_at: now }).onConflict(['room_id', 'user_id']).ignore();
    },

    async isMember(roomId, userId) {
      const row = await members().select('room_id').where({ room_id: roomId, user_id: userId }).first();
      return row !== undefined;
    },

    async addGrant(roomId, userId, now) {
      assertWidth('Room id', roomId, WIDTH.id);
      assertWidth('User id', userId, WIDTH.id);
      await grants().insert({ room_id: roomId, user_id: userId, granted_at: now }).onConflict(['room_id', 'user_id']).ignore();
    },

    async removeGrant(roomId, userId) {
      const deleted = await grants().where({ room_id: roomId, user_id: userId }).delete();
      return Number(deleted) > 0;
    },

    async hasGrant(roomId, userId) {
      const row = await grants().select('room_id').where({ room_id: roomId, user_id: userId }).first();
      return row !== undefined;
    },
  };
}

function newRoomRow(name: string, now: number, visibility: RoomRecord['visibility'], ownerId: string | null): RoomRow {
  return { id: newId('room'), name, status: 'active', created_at: now, visibility, owner_id: ownerId };
}
