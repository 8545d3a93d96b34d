import type { MessageKind, SystemEvent } from '@chat/protocol';
import type { GuestRecord, RoomRecord, StoredMessage, UserRecord } from './types';

/**
 * Row shapes as the drivers return them. BIGINT may arrive as a string
 * (mysql2 beyond 2^53, or other driver settings), so numbers are converted on the way out.
 */
export interface RoomRow {
  id: string;
  name: string;
  status: string;
  created_at: number | string;
  visibility: string;
  owner_id: string | null;
}

export interface UserRow {
  id: string;
  nick_name: string;
  head_num: number | string;
  created_at: number | string;
  updated_at: number | string;
  key_hash: string | null;
}

export interface AppUserRow {
  id: string;
  name: string;
  head_num: number | string;
  created_at: number | string;
  updated_at: number | string;
}

export interface GrantRow {
  room_id: string;
  user_id: string;
  granted_at: number | string;
}

export interface MemberRow {
  room_id: string;
  user_id: string;
  joined_at: number | string;
}

export interface MessageRow {
  room_id: string;
  seq: number | string;
  id: string;
  user_id: string;
  nick_name: string;
  content: string;
  kind: string;
  event: string | null;
  client_msg_id: string | null;
  sent_at: number | string;
}

export function toRoom(row: RoomRow): RoomRecord {
  const room: RoomRecord = {
    id: row.id,
    name: row.name,
    status: row.status === 'inactive' ? 'inactive' : 'active',
    createdAt: Number(row.created_at),
    visibility: row.visibility === 'private' ? 'private' : 'public',
  };
  if (row.owner_id !== null && row.owner_id !== undefined) room.ownerId = row.owner_id;
  return room;
}

export function toGuest(row: UserRow): GuestRecord {
  const guest: GuestRecord = {
    id: row.id,
    nickName: row.nick_name,
    headNum: Number(row.head_num),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.key_hash) guest.keyHash = row.key_hash;
  return guest;
}

/** The public view of a guest: never its key hash. */
export function toUser(row: UserRow): UserRecord {
  const { keyHash: _secret, ...user } = toGuest(row);
  return user;
}

export function toAppUser(row: AppUserRow): UserRecord {
  return {
    id: row.id,
    nickName: row.name,
    headNum: Number(row.head_num),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toMessage(row: MessageRow): StoredMessage {
  const msg: StoredMessage = {
    id: row.id,
    roomId: row.room_id,
    seq: Number(row.seq),
    userId: row.user_id,
    nickName: row.nick_name,
    content: row.content,
    kind: row.kind as MessageKind,
    sentAt: Number(row.sent_at),
  };
  // Absent rather than null/undefined keys, so stored and fresh messages compare equal.
  if (row.event !== null) msg.event = row.event as SystemEvent;
  if (row.client_msg_id !== null) msg.clientMsgId = row.client_msg_id;
  return msg;
}

export function fromMessage(msg: StoredMessage): MessageRow {
  return {
    room_id: msg.roomId,
    seq: msg.seq,
    id: msg.id,
    user_id: msg.userId,
    nick_name: msg.nickName,
    content: msg.content,
    kind: msg.kind,
    event: msg.event ?? null,
    client_msg_id: msg.clientMsgId ?? null,
    sent_at: msg.sentAt,
  };
}
