import { z } from 'zod';
import { LIMITS } from './limits';

// Names are shown to other people: no control characters (they break logs and
// terminals and hide text), no leading/trailing blanks.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const displayName = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters');

const id = z.string().min(1).max(LIMITS.idMax);

export const headNumSchema = z.coerce.number().int().min(0).max(LIMITS.headNumMax);

export const sessionRequestSchema = z.object({
  nickName: displayName(LIMITS.nickNameMax),
  chatroomName: displayName(LIMITS.chatroomNameMax),
  headNum: headNumSchema.optional(),
});
export type SessionRequest = z.infer<typeof sessionRequestSchema>;

/** Content length is checked separately so that it maps to `too_large`, not `bad_request`. */
export const sendMessageSchema = z.object({
  roomId: id,
  content: z.string().min(1, 'must not be empty'),
  clientMsgId: z.string().min(1).max(LIMITS.clientMsgIdMax).optional(),
});
export type SendMessageRequest = z.infer<typeof sendMessageSchema>;

export const historyRequestSchema = z.object({
  roomId: id,
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.historyMax).optional(),
});
export type HistoryRequest = z.infer<typeof historyRequestSchema>;

export const roomRefSchema = z.object({ roomId: id });
export type RoomRef = z.infer<typeof roomRefSchema>;

export const handshakeAuthSchema = z.object({
  token: z.string().min(1).max(4096),
  roomId: id.optional(),
  delivery: z.enum(['each', 'batch']).optional(),
});

// Seed-compatible routes (the original `/mysql/*` API).
export const seedCreateChatroomSchema = sessionRequestSchema;
export const seedValidateSchema = z.object({ roomId: id, nickId: id });
export const seedRoomInfoSchema = z.object({ roomId: id });
export const seedUserInfoSchema = z.object({ userId: id });
