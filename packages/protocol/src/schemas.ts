import { z } from 'zod';
import { LIMITS } from './limits';
import { roomIdSchema, userIdSchema } from './ids';
import { displayName } from './names';

const seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const headNumSchema = z.coerce.number().int().min(0).max(LIMITS.headNumMax);

/** The secret a guest got with its first session: 32 random bytes, base64url. */
export const userKeySchema = z
  .string()
  .min(LIMITS.userKeyMin, 'is too short')
  .max(LIMITS.userKeyMax, 'is too long')
  .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

export const sessionRequestSchema = z.object({
  nickName: displayName(LIMITS.nickNameMax),
  chatroomName: displayName(LIMITS.chatroomNameMax),
  headNum: headNumSchema.optional(),
  /** Proves ownership of a taken nickName (or `Authorization: Bearer` with a token of that user). */
  userKey: userKeySchema.optional(),
});
export type SessionRequest = z.infer<typeof sessionRequestSchema>;

/** Content length is checked separately so that it maps to `too_large`, not `bad_request`. */
export const sendMessageSchema = z.object({
  roomId: roomIdSchema,
  content: z.string().min(1, 'must not be empty'),
  clientMsgId: z.string().min(1).max(LIMITS.clientMsgIdMax).optional(),
});
export type SendMessageRequest = z.infer<typeof sendMessageSchema>;

/** `before` pages back from the newest; `after` pages forward (oldest first). Not both. */
export const historyRequestSchema = z
  .object({
    roomId: roomIdSchema,
    before: seq.min(1).optional(),
    after: seq.optional(),
    limit: z.coerce.number().int().min(1).max(LIMITS.historyMax).optional(),
  })
  .refine((r) => r.before === undefined || r.after === undefined, { message: 'use before or after, not both' });
export type HistoryRequest = z.infer<typeof historyRequestSchema>;

export const roomRefSchema = z.object({ roomId: roomIdSchema });
export type RoomRef = z.infer<typeof roomRefSchema>;

/** `join {roomId, afterSeq?}`: with `afterSeq`, stored messages after it are replayed first. */
export const joinRequestSchema = z.object({ roomId: roomIdSchema, afterSeq: seq.optional() });
export type JoinRequest = z.infer<typeof joinRequestSchema>;

export const userRefSchema = z.object({ userId: userIdSchema });

export const handshakeAuthSchema = z.object({
  token: z.string().min(1).max(LIMITS.tokenMax),
  roomId: roomIdSchema.optional(),
  afterSeq: seq.optional(),
  delivery: z.enum(['each', 'batch']).optional(),
});

export const roomVisibilitySchema = z.enum(['public', 'private']);

export const createRoomSchema = z.object({
  name: displayName(LIMITS.chatroomNameMax),
  visibility: roomVisibilitySchema.default('public'),
});
export type CreateRoomRequest = z.infer<typeof createRoomSchema>;

/** The server API's send: as a user (`as`) or as the server itself (`kind: "system"` without `as`). */
export const serverMessageSchema = z
  .object({
    content: z.string().min(1, 'must not be empty'),
    kind: z.enum(['user', 'system']).default('user'),
    as: userRefSchema.optional(),
    clientMsgId: z.string().min(1).max(LIMITS.clientMsgIdMax).optional(),
  })
  .refine((r) => r.kind === 'system' || r.as !== undefined, { message: 'a user message needs as.userId', path: ['as'] });
export type ServerMessageRequest = z.infer<typeof serverMessageSchema>;

// Seed-compatible routes (the original `/mysql/*` API).
export const seedCreateChatroomSchema = sessionRequestSchema;
export const seedValidateSchema = z.object({ roomId: roomIdSchema, nickId: userIdSchema });
export const seedRoomInfoSchema = z.object({ roomId: roomIdSchema });
export const seedUserInfoSchema = z.object({ userId: userIdSchema });
