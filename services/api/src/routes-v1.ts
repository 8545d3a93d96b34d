import { Router } from 'express';
import { roomRefSchema, parseOrThrow } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import type { TokenService } from '@chat/auth';
import { bearerClaims } from './auth';
import { clientKey } from './client-key';

/** The REST contract, `/api/v1`. Documented in docs/protocol.md. */
export function v1Routes(chat: ChatService, tokens: TokenService): Router {
  const r = Router();

  r.post('/sessions', async (req, res) => {
    res.status(201).json(await chat.createSession(req.body, clientKey(req)));
  });

  r.get('/rooms/count', async (_req, res) => {
    res.json({ count: await chat.countRooms() });
  });

  r.get('/rooms/:roomId', async (req, res) => {
    const { roomId } = parseOrThrow(roomRefSchema, req.params);
    res.json(await chat.getRoom(roomId));
  });

  r.get('/rooms/:roomId/members', async (req, res) => {
    const { roomId } = parseOrThrow(roomRefSchema, req.params);
    await chat.getRoom(roomId);
    res.json({ members: await chat.members(roomId) });
  });

  r.get('/rooms/:roomId/messages', async (req, res) => {
    const who = await bearerClaims(tokens, req);
    res.json(await chat.historyFor(who, { ...req.query, roomId: req.params.roomId }));
  });

  r.get('/users/:userId', async (req, res) => {
    res.json(await chat.getUser(String(req.params.userId)));
  });

  return r;
}
