import { z } from 'zod';

/**
 * The one format of every id that crosses an edge. Ids are compared as bytes
 * everywhere (store, Redis keys, channels), so anything that is not exactly
 * this shape (a trailing space, upper case, a look-alike letter) is refused
 * before it can reach a key: on MySQL's PAD SPACE collations `"<id> "` used to
 * find the real row while getting Redis keys of its own.
 *
 * Rooms are `room_<32 hex>`; guests are `user_<32 hex>`; users an app vouches
 * for (POST /api/v1/sessions/exchange) are `app_<32 hex>`, a namespace a guest id can never enter.
 */
export const ID_PATTERN = /^(room|user|app)_[0-9a-f]{32}$/;

export const ROOM_ID_PATTERN = /^room_[0-9a-f]{32}$/;
export const USER_ID_PATTERN = /^(user|app)_[0-9a-f]{32}$/;

export const roomIdSchema = z.string().regex(ROOM_ID_PATTERN, 'must be a room id (room_ and 32 hex digits)');
export const userIdSchema = z.string().regex(USER_ID_PATTERN, 'must be a user id (user_ or app_ and 32 hex digits)');

export const isRoomId = (v: unknown): v is string => typeof v === 'string' && ROOM_ID_PATTERN.test(v);
export const isUserId = (v: unknown): v is string => typeof v === 'string' && USER_ID_PATTERN.test(v);
