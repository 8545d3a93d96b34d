import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { ServerOptions } from 'socket.io';
import { ChatError, EVENTS, LIMITS, SOCKET_PATH } from '@chat/protocol';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import type { TokenService } from '@chat/auth';
import type { RoomBus } from '@chat/fanout';
import { createRoomDelivery } from '@chat/delivery';
import type { Logger, Metrics } from '@chat/observability';
import type { ChatSocket, SocketData } from './chat-socket';
import { createConnectionQuota } from './connection-quota';
import { startConnectionSweep } from './connection-sweep';
import { trackFrameSize } from './frame-guard';
import { createHandshake } from './handshake';
import { guardRequests } from './request-guard';
import { registerRequests } from './requests';
import { createSocketRooms } from './socket-rooms';
import type { QueuedConnection } from './slow-consumers';
import { deliveryObserver } from './observers';

export interface GatewayDeps {
  chat: ChatService;
  tokens: TokenService;
  bus: RoomBus;
  logger: Logger;
  metrics: Metrics;
  corsOrigins: '*' | string[];
  limits: {
    roomsPerSocket: number;
    connectionsPerUser: number;
    connectionsPerAddress: number;
    /** Requests per socket per window. */
    socketEvents: { points: number; durationSec: number };
    /** Bytes waiting for a client past which its connection is closed (it stopped reading). */
    clientQueueBytes: number;
  };
  trustProxyHops: number;
  delivery: { gapTimeoutMs: number; batch: { windowMs: number; maxBatch: number }; membersIntervalMs: number; membersFullListMax: number };
  /** Cross-node socket.io adapter (Redis) in cluster mode; in-memory when absent. */
  adapter?: ServerOptions['adapter'];
  parser?: ServerOptions['parser'];
}

/** How often every connection's token expiry and outgoing queue are checked. */
const CONNECTION_SWEEP_MS = 1000;

/**
 * The socket node's edge: socket.io, the handshake, the four requests, and the
 * wiring of the delivery pipeline (packages/delivery) to this node's sockets.
 */
export function attachSocketGateway(httpServer: HttpServer, deps: GatewayDeps) {
  const { chat, logger, metrics, limits } = deps;
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(httpServer, {
    path: SOCKET_PATH,
    serveClient: false,
    cors: { origin: deps.corsOrigins, methods: ['GET', 'POST'] },
    // engine.io closes a connection that sends more; frames between 64 KB and this get `too_large`.
    maxHttpBufferSize: LIMITS.frameBytesHardMax,
    perMessageDeflate: false,
    httpCompression: false,
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
    ...(deps.parser ? { parser: deps.parser } : {}),
  });
  const groups = () => io.of('/').adapter.rooms;
  const socketsIn = (roomId: string): ChatSocket[] =>
    [...(groups().get(roomId) ?? [])].flatMap((id) => io.of('/').sockets.get(id) ?? []);

  const delivery = createRoomDelivery({
    bus: deps.bus,
    source: { range: chat.range, highestSeq: chat.highestSeq, members: chat.onlineMembers },
    sockets: {
      count: (group) => groups().get(group)?.size ?? 0,
      emit: (to, event, payload, except) => {
        const target = except ? io.local.to(to).except(except) : io.local.to(to);
        (target as unknown as { emit(event: string, payload: unknown): void }).emit(event, payload);
      },
    },
    ...deps.delivery,
    onRevoked: (roomId, userId) => void rooms.revoke(socketsIn(roomId), roomId, userId).catch((err: unknown) => logger.warn({ err, roomId }, 'revoking access failed')),
    observer: deliveryObserver(metrics, logger),
  });
  const rooms = createSocketRooms({ chat, delivery, roomsPerSocketMax: limits.roomsPerSocket, logger, onRoomCount: (n) => metrics.localRooms.set(n) });

  const sweep = startConnectionSweep<ChatSocket>({
    sockets: () => io.of('/').sockets.values(),
    connOf: (socket) => socket.conn as unknown as QueuedConnection,
    expiresAt: (socket) => socket.data.user.expiresAt,
    maxQueuedBytes: limits.clientQueueBytes,
    intervalMs: CONNECTION_SWEEP_MS,
    // A connection lives no longer than its token: past it the client must get a new one.
    onExpired: (socket) => {
      socket.emit(EVENTS.error, { code: 'unauthorized', message: 'The session token expired; create a new session and connect again.', event: 'session' });
      socket.disconnect(true);
    },
    onCut: (socket, queued) => {
      metrics.slowConsumersCut.inc();
      logger.info({ queued, userId: socket.data.user.userId }, 'closed a connection whose client stopped reading');
    },
  });

  const userQuota = createConnectionQuota(limits.connectionsPerUser);
  const addressQuota = createConnectionQuota(limits.connectionsPerAddress);
  io.use(createHandshake({ tokens: deps.tokens, chat, userQuota, addressQuota, trustProxyHops: deps.trustProxyHops, logger }));

  io.on('connection', (socket: ChatSocket) => {
    metrics.connectedSockets.inc();
    const onError = (code: string) => metrics.requestErrors.inc({ code });
    guardRequests(socket, { eventRate: limits.socketEvents, frameTooLarge: trackFrameSize(socket), onRefused: onError });
    registerRequests(socket, { chat, rooms, logger, onError, onAck: (s) => metrics.ackLatency.observe(s) });

    socket.on('disconnect', () => {
      userQuota.release(socket.data.user.userId);
      addressQuota.release(socket.data.address);
      metrics.connectedSockets.dec();
      void rooms.leaveAll(socket);
    });

    const initialRoom = (socket.handshake.auth as { roomId?: string }).roomId;
    if (initialRoom) {
      rooms.join(socket, initialRoom).catch((err: unknown) => {
        if (!(err instanceof ChatError)) logger.error({ err }, 'initial join failed');
        const error = err instanceof ChatError ? err : new ChatError('internal');
        socket.emit(EVENTS.error, { code: error.code, message: error.message, event: EVENTS.join });
      });
    }
  });

  let closing: Promise<void> | undefined;
  return {
    io,
    /** Disconnects every local socket (they reconnect elsewhere) and waits for their leaves. */
    async disconnectAll(): Promise<void> {
      const leaving = [...io.of('/').sockets.values()].map((socket) => {
        const left = rooms.leaveAll(socket);
        socket.disconnect(true);
        return left;
      });
      await Promise.all(leaving);
    },
    /** Idempotent. Stops timers and closes socket.io (not the http server's other users). */
    close(): Promise<void> {
      closing ??= (async () => {
        sweep.close();
        delivery.close();
        await new Promise<void>((resolve) => io.close(() => resolve()));
      })();
      return closing;
    },
  };
}

export type SocketGateway = ReturnType<typeof attachSocketGateway>;
