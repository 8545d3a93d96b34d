import { Router } from 'express';
import { ChatError, parseOrThrow, seedCreateChatroomSchema, seedRoomInfoSchema, seedUserInfoSchema, seedValidateSchema } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import { bearerToken } from './auth';
import { clientKey } from './client-key';

/**
 * The original backend's `/mysql/*` routes: same paths, bodies and answer
 * shapes, so its web client keeps working. New clients use `/api/v1`.
 */
export function seedRoutes(chat: ChatService): Router {
  const r = Router();

  r.post('/createChatroom', async (req, res) => {
    const bearer = bearerToken(req);
    const s = await chat.createGuestSession(parseOrThrow(seedCreateChatroomSchema, req.body), { clientKey: clientKey(req), ...(bearer ? { bearer } : {}) });
    // The key is shown once, when the nickName is created (or an old one gets its key).
    res.json({ success: true, data: { chatroomId: s.roomId, nickId: s.userId, token: s.token, ...(s.userKey ? { userKey: s.userKey } : {}) } });
  });

  r.get('/getRoomNums', async (_req, res) => {
    res.json({ success: true, data: await chat.countRooms() });
  });

  r.post('/validateNickIdByRoomId', async (req, res) => {
    const { roomId, nickId } = parseOrThrow(seedValidateSchema, req.body);
    res.json({ success: await chat.isOnlineIn(roomId, nickId) });
  });

  r.post('/getRoomInfo', async (req, res) => {
    const { roomId } = parseOrThrow(seedRoomInfoSchema, req.body);
    res.json({ success: true, data: (await chat.getRoom(roomId)).name });
  });

  r.post('/getUserInfo', async (req, res) => {
    const { userId } = parseOrThrow(seedUserInfoSchema, req.body);
    res.json({ success: true, data: (await chat.getUser(userId)).nickName });
  });

  r.use((_req, _res, next) => next(new ChatError('not_found', 'No such route.')));
  return r;
}
