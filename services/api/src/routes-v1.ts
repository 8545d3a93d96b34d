import { Router } from 'express';
import {
  assertContent,
  createRoomSchema,
  historyRequestSchema,
  parseOrThrow,
  roomRefSchema,
  serverMessageSchema,
  sessionRequestSchema,
  userRefSchema,
} from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import type { TokenService } from '@chat/auth';
import { bearerClaims, bearerToken, optionalClaims, requireServerKey } from './auth';
import { clientKey } from './client-key';

export interface V1Deps {
  chat: ChatService;
  tokens: TokenService;
  serverApiKeys: readonly string[];
}

/** The REST contract, `/api/v1`. Documented in docs/protocol.md. */
export function v1Routes({ chat, tokens, serverApiKeys }: V1Deps): Router {
  const r = Router();

  r.post('/sessions', async (req, res) => {
    const body = parseOrThrow(sessionRequestSchema, req.body);
    const bearer = bearerToken(req);
    res.status(201).json(await chat.createGuestSession(body, { clientKey: clientKey(req), ...(bearer ? { bearer } : {}) }));
  });

  r.post('/sessions/exchange', async (req, res) => {
    res.status(201).json(await chat.exchangeAppToken(bearerToken(req), { clientKey: clientKey(req) }));
  });

  r.get('/rooms/count', async (_req, res) => {
    res.json({ count: await chat.countRooms() });
  });

  r.post('/rooms', async (req, res) => {
    const who = await bearerClaims(tokens, req);
    res.status(201).json(await chat.createRoom(who, parseOrThrow(createRoomSchema, req.body)));
  });

  r.get('/rooms/:roomId', async (req, res) => {
    const { roomId } = parseOrThrow(roomRefSchema, req.params);
    res.json(await chat.getRoom(roomId, await optionalClaims(tokens, req)));
  });

  r.get('/rooms/:roomId/members', async (req, res) => {
    const { roomId } = parseOrThrow(roomRefSchema, req.params);
    res.json({ members: await chat.members(roomId, await optionalClaims(tokens, req)) });
  });

  r.post('/rooms/:roomId/members', async (req, res) => {
    const who = await bearerClaims(tokens, req);
    const { roomId } = parseOrThrow(roomRefSchema, req.params);
    const { userId } = parseOrThrow(userRefSchema, req.body);
    await chat.grantAccess(who, roomId, userId);
    res.status(204).end();
  });

  r.delete('/rooms/:roomId/members/:userId', async (req, res) => {
    const who = await bearerClaims(tokens, req);
    const { roomId } = parseOrThrow(roomRefSchema, req.params);
    const { userId } = parseOrThrow(userRefSchema, req.params);
    await chat.revokeAccess(who, roomId, userId);
    res.status(204).end();
  });

  r.get('/rooms/:roomId/messages', async (req, res) => {
    const who = await bearerClaims(tokens, req);
    res.json(await chat.historyFor(who, parseOrThrow(historyRequestSchema, { ...req.query, roomId: req.params.roomId })));
  });

  // The server API: an app backend posts as one of its users, or as the server.
  r.post('/rooms/:roomId/messages', async (req, res) => {
    requireServerKey(serverApiKeys, req);
    const { roomId } = parseOrThrow(roomRefSchema, req.params);
    const body = parseOrThrow(serverMessageSchema, req.body);
    assertContent(body.content);
    res.status(201).json({ message: await chat.postAsServer(roomId, body) });
  });

  r.get('/users/:userId', async (req, res) => {
    const { userId } = parseOrThrow(userRefSchema, req.params);
    res.json(await chat.getUser(userId));
  });

  return r;
}
