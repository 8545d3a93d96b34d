import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { SignJWT, jwtVerify } from 'jose';

/**
 * The server users would otherwise write: plain socket.io with
 * @socket.io/redis-adapter (every node receives every broadcast), one INSERT
 * per message and the ack after it, a per-room counter in Redis for the seq,
 * no reordering, no presence, no rate limits. It speaks the part of the chat
 * protocol the load generator uses (sessions, join, message, `message`
 * broadcasts), so both servers run under the same load in one benchmark.
 */
export interface ReferenceOptions {
  port: number;
  host: string;
  mysqlUrl: string;
  redisUrl: string;
  keyPrefix: string;
  secret: string;
  /** The table its history reads: its own, or (for the history comparison) the cluster's, which has the same shape. */
  historyTable?: string;
}

export async function startReferenceNode(opts: ReferenceOptions): Promise<{ url: string; close(): Promise<void> }> {
  const db = mysql.createPool({ uri: opts.mysqlUrl, connectionLimit: 10, charset: 'utf8mb4' });
  await createTables(db);
  const redis = new Redis(opts.redisUrl);
  const sub = redis.duplicate();
  const key = new TextEncoder().encode(opts.secret);

  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.get(['/healthz', '/readyz'], (_req, res) => void res.json({ status: 'ok' }));
  app.post('/api/v1/sessions', (req, res, next) => {
    const { nickName, chatroomName } = req.body as { nickName?: string; chatroomName?: string };
    if (typeof nickName !== 'string' || typeof chatroomName !== 'string') return void res.status(400).json({ error: { code: 'bad_request' } });
    createSession(db, nickName, chatroomName)
      .then(async (s) =>
        res
          .status(201)
          .json({ ...s, headNum: 0, token: await new SignJWT({ nick: nickName }).setProtectedHeader({ alg: 'HS256' }).setSubject(s.userId).sign(key) }),
      )
      .catch(next);
  });

  // The newest page (or the page before `before`) of a room, as a conventional server answers it: token, one SELECT.
  const historyTable = opts.historyTable ?? 'ref_messages';
  app.get('/api/v1/rooms/:roomId/messages', (req, res, next) => {
    const token = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const limit = Math.min(200, Number(req.query.limit ?? 50));
    const before = req.query.before === undefined ? Number.MAX_SAFE_INTEGER : Number(req.query.before);
    jwtVerify(token, key)
      .then(() => db.query('SELECT * FROM ?? WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?', [historyTable, req.params.roomId, before, limit + 1]))
      .then(([rows]) => {
        const list = rows as unknown[];
        res.json({ messages: list.slice(0, limit).reverse(), hasMore: list.length > limit });
      }, next);
  });

  const server = http.createServer(app);
  const io = new Server(server, { path: '/socket.io', adapter: createAdapter(redis, sub, { key: `${opts.keyPrefix}:socket.io` }) });
  io.use((socket, next) => {
    jwtVerify(String((socket.handshake.auth as { token?: unknown }).token), key).then(
      ({ payload }) => {
        socket.data.user = { userId: payload.sub, nickName: payload.nick };
        next();
      },
      () => next(new Error('unauthorized')),
    );
  });
  io.on('connection', (socket) => {
    socket.on('join', (req: { roomId: string }, ack: (r: unknown) => void) => {
      void socket.join(req.roomId);
      ack({ ok: true });
    });
    socket.on('leave', (req: { roomId: string }, ack: (r: unknown) => void) => {
      void socket.leave(req.roomId);
      ack({ ok: true });
    });
    socket.on('message', (req: { roomId: string; content: string; clientMsgId?: string }, ack: (r: unknown) => void) => {
      const user = socket.data.user as { userId: string; nickName: string };
      void send(req, user).then(
        (message) => {
          ack({ ok: true, message });
          io.to(req.roomId).emit('message', message);
        },
        () => ack({ ok: false, error: { code: 'unavailable', message: 'failed' } }),
      );
    });
  });

  async function send(req: { roomId: string; content: string; clientMsgId?: string }, user: { userId: string; nickName: string }) {
    const seq = await redis.incr(`${opts.keyPrefix}:seq:${req.roomId}`);
    const message = {
      id: randomUUID(),
      roomId: req.roomId,
      seq,
      userId: user.userId,
      nickName: user.nickName,
      content: req.content,
      sentAt: new Date().toISOString(),
      kind: 'user',
      ...(req.clientMsgId ? { clientMsgId: req.clientMsgId } : {}),
    };
    await db.execute('INSERT INTO ref_messages (id, room_id, seq, user_id, nick_name, content, client_msg_id, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      message.id,
      message.roomId,
      seq,
      message.userId,
      message.nickName,
      message.content,
      req.clientMsgId ?? null,
      Date.now(),
    ]);
    return message;
  }

  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host}:${port}`,
    async close() {
      await io.close();
      redis.disconnect();
      sub.disconnect();
      await db.end();
    },
  };
}

async function createTables(db: mysql.Pool): Promise<void> {
  await db.query('CREATE TABLE IF NOT EXISTS ref_rooms (id CHAR(36) PRIMARY KEY, name VARCHAR(64) NOT NULL UNIQUE) ENGINE=InnoDB');
  await db.query('CREATE TABLE IF NOT EXISTS ref_users (id CHAR(36) PRIMARY KEY, nick_name VARCHAR(64) NOT NULL UNIQUE) ENGINE=InnoDB');
  await db.query(
    'CREATE TABLE IF NOT EXISTS ref_messages (id CHAR(36) PRIMARY KEY, room_id CHAR(36) NOT NULL, seq BIGINT NOT NULL, user_id CHAR(36) NOT NULL, nick_name VARCHAR(64) NOT NULL, content TEXT NOT NULL, client_msg_id VARCHAR(64), sent_at BIGINT NOT NULL, KEY room_seq (room_id, seq)) ENGINE=InnoDB',
  );
}

async function createSession(
  db: mysql.Pool,
  nickName: string,
  chatroomName: string,
): Promise<{ userId: string; roomId: string; nickName: string; chatroomName: string }> {
  await db.execute('INSERT IGNORE INTO ref_rooms (id, name) VALUES (?, ?)', [randomUUID(), chatroomName]);
  await db.execute('INSERT IGNORE INTO ref_users (id, nick_name) VALUES (?, ?)', [randomUUID(), nickName]);
  const [[room]] = (await db.execute('SELECT id FROM ref_rooms WHERE name = ?', [chatroomName])) as unknown as [[{ id: string }]];
  const [[user]] = (await db.execute('SELECT id FROM ref_users WHERE nick_name = ?', [nickName])) as unknown as [[{ id: string }]];
  return { userId: user.id, roomId: room.id, nickName, chatroomName };
}
