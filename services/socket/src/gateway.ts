import type { Server as HttpServer } from 'node:http';
import type { ServerOptions } from 'socket.io';
import { ChatError, EVENTS } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import type { TokenService } from '@chat/auth';
import type { RoomBus } from '@chat/fanout';
import { createRoomDelivery } from '@chat/delivery';
import type { Logger, Metrics } from '@chat/observability';
import type { ChatSocket } from './chat-socket';
import { createConnectionQuota } from './connection-quota';
import { sweepSockets } from './connection-sweep';
import { frameTooLarge, trackFrameSize } from './frame-guard';
import { createHandshake } from './handshake';
import { createRequestGuard } from './request-guard';
import { createRequests } from './requests';
import { createSocketRooms } from './socket-rooms';
import { deliveryObserver } from './observers';
import { createSocketServer, localSocketsOf } from './socket-server';

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
    /** Stored messages a resuming join replays at most. */
    resume: number;
  };
  trustProxyHops: number;
  delivery: { gapTimeoutMs: number; batch: { windowMs: number; maxBatch: number }; membersIntervalMs: number; membersFullListMax: number };
  /** Cross-node socket.io adapter (Redis) in cluster mode; in-memory when absent. */
  adapter?: ServerOptions['adapter'];
  parser?: ServerOptions['parser'];
}

/**
 * The socket node's edge: socket.io, the handshake, the four requests, and the
 * wiring of the delivery pipeline (packages/delivery) to this node's sockets.
 */
export function attachSocketGateway(httpServer: HttpServer, deps: GatewayDeps) {
  const { chat, logger, metrics, limits } = deps;
  const io = createSocketServer(httpServer, deps);
  const sockets = localSocketsOf(io);
  const delivery = createRoomDelivery({
    bus: deps.bus,
    source: { range: chat.range, after: chat.messagesAfter, highestSeq: chat.highestSeq, members: chat.onlineMembers },
    sockets,
    ...deps.delivery,
    onRevoked: (roomId, userId) =>
      void rooms.revoke(sockets.in(roomId), roomId, userId).catch((err: unknown) => logger.warn({ err, roomId }, 'revoking access failed')),
    observer: deliveryObserver(metrics, logger),
  });
  const rooms = createSocketRooms({
    chat,
    delivery,
    roomsPerSocketMax: limits.roomsPerSocket,
    resumeMax: limits.resume,
    logger,
    onRoomCount: (n) => metrics.localRooms.set(n),
  });
  const sweep = sweepSockets(io.of('/').sockets, { maxQueuedBytes: limits.clientQueueBytes, metrics, logger });

  const userQuota = createConnectionQuota(limits.connectionsPerUser);
  const addressQuota = createConnectionQuota(limits.connectionsPerAddress);
  const handshake = createHandshake({ tokens: deps.tokens, chat, userQuota, addressQuota, trustProxyHops: deps.trustProxyHops, logger });
  // The handshake settles `next` itself, refusals included; nothing is left to await.
  io.use((socket, next) => void handshake(socket, next));

  // Built once per node and shared by every socket: an idle connection holds no listener closures of its own.
  const onError = (code: string) => metrics.requestErrors.inc({ code });
  const guard = createRequestGuard({ eventRate: limits.socketEvents, frameTooLarge, onRefused: onError });
  const requests = createRequests({ chat, rooms, logger, onError, onAck: (s) => metrics.ackLatency.observe(s) });
  function onDisconnect(this: ChatSocket): void {
    userQuota.release(this.data.user.userId);
    addressQuota.release(this.data.address);
    metrics.connectedSockets.dec();
    void rooms.leaveAll(this);
  }

  io.on('connection', (socket: ChatSocket) => {
    metrics.connectedSockets.inc();
    trackFrameSize(socket);
    guard.attach(socket);
    requests.attach(socket);
    socket.on('disconnect', onDisconnect);

    // Checked by the handshake: the room exists and the user may enter it.
    const { roomId, afterSeq } = socket.handshake.auth as { roomId?: string; afterSeq?: number };
    if (roomId) {
      rooms.join(socket, roomId, afterSeq).then(
        (resumed) => resumed && socket.emit(EVENTS.resumed, { roomId, ...resumed }),
        (err: unknown) => {
          if (!(err instanceof ChatError)) logger.error({ err }, 'initial join failed');
          const error = err instanceof ChatError ? err : new ChatError('internal');
          socket.emit(EVENTS.error, { code: error.code, message: error.message, event: EVENTS.join });
        },
      );
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
        await io.close();
      })();
      return closing;
    },
  };
}

export type SocketGateway = ReturnType<typeof attachSocketGateway>;
