import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { ServerOptions } from 'socket.io';
import { ChatError, EVENTS, SOCKET_PATH, roomRefSchema, parseOrThrow } from '@chat/protocol';
import type { ChatMessage, ClientToServerEvents, ServerToClientEvents } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import { createKeyedThrottle } from '@chat/chat';
import type { TokenService } from '@chat/auth';
import { createInOrderDelivery } from '@chat/fanout';
import type { RoomBus } from '@chat/fanout';
import type { Logger, Metrics } from '@chat/observability';
import { createLocalRooms } from './local-rooms';
import { createMembersFeed } from './members-feed';
import { createDeliveryBatcher } from './delivery-batcher';
import { trackFrameSize } from './frame-guard';
import { createConnectionQuota } from './connection-quota';
import { createHandshake } from './handshake';
import type { ChatSocket, SocketData } from './chat-socket';
import { startConnectionSweep } from './connection-sweep';
import type { QueuedConnection } from './slow-consumers';
import { onRequest } from './handlers';

export interface GatewayDeps {
  chat: ChatService;
  tokens: TokenService;
  bus: RoomBus;
  logger: Logger;
  metrics: Metrics;
  corsOrigins: '*' | string[];
  membersIntervalMs: number;
  /** Rooms with more online members get a full list once per socket, then `members_diff`. */
  membersFullListMax: number;
  /** Rooms one socket may be in at once; a join past it is refused with `limit_exceeded`. */
  roomsPerSocketMax: number;
  /** Sockets one user may hold on this node; a handshake past it is refused with `limit_exceeded`. */
  connectionsPerUserMax: number;
  /** A connection with more bytes than this waiting for its client is closed (the client stopped reading). */
  clientQueueMaxBytes: number;
  gapTimeoutMs: number;
  /** Sockets with `delivery: 'batch'` get a room's messages in one frame per window. */
  deliveryBatch: { windowMs: number; maxBatch: number };
  /** Cross-node socket.io adapter (Redis) in cluster mode; in-memory when absent. */
  adapter?: ServerOptions['adapter'];
  parser?: ServerOptions['parser'];
}

const KNOWN_EVENTS = new Set<string>([EVENTS.message, EVENTS.history, EVENTS.join, EVENTS.leave]);
/** How often every connection's token expiry and outgoing queue are checked. */
const CONNECTION_SWEEP_MS = 1000;
/** engine.io closes a connection above this; frames between 64 KB and this get `too_large` and live on. */
const HARD_FRAME_CAP = 1024 * 1024;

/**
 * The socket node: authenticates sockets, runs their requests through the chat
 * service, and delivers each room's messages from the bus to local sockets in
 * seq order, with coalesced `members` updates.
 */
export function attachSocketGateway(httpServer: HttpServer, deps: GatewayDeps) {
  const { chat, logger, metrics } = deps;
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(httpServer, {
    path: SOCKET_PATH,
    serveClient: false,
    cors: { origin: deps.corsOrigins, methods: ['GET', 'POST'] },
    maxHttpBufferSize: HARD_FRAME_CAP,
    perMessageDeflate: false,
    httpCompression: false,
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
    ...(deps.parser ? { parser: deps.parser } : {}),
  });

  /** Sockets on this node that are in the room (or in a room's batch group). */
  const localSockets = (roomId: string): number => io.of('/').adapter.rooms.get(roomId)?.size ?? 0;

  const membersFeed = createMembersFeed({ fullListMax: deps.membersFullListMax });
  const membersThrottle = createKeyedThrottle({
    intervalMs: (roomId) => membersIntervalFor(deps.membersIntervalMs, localSockets(roomId)),
    run: async (roomId) => {
      if (localSockets(roomId) === 0) return;
      const members = await chat.members(roomId);
      // Decide and emit in one synchronous step: a socket joining meanwhile is in `fresh` or not, never half.
      const plan = membersFeed.next(roomId, members);
      if (plan.fullToAll) {
        metrics.membersFramesOut.inc(localSockets(roomId));
        io.local.to(roomId).emit(EVENTS.members, { roomId, members });
        return;
      }
      // Every socket is a room of its own id: one broadcast encodes the list once for all newcomers.
      if (plan.fullTo.length > 0) io.local.to(plan.fullTo).emit(EVENTS.members, { roomId, members });
      metrics.membersFramesOut.inc(plan.fullTo.length);
      if (plan.diff) {
        metrics.membersFramesOut.inc(Math.max(0, localSockets(roomId) - plan.fullTo.length));
        io.local.to(roomId).except(plan.fullTo).emit(EVENTS.membersDiff, plan.diff);
      }
    },
    onError: (err) => logger.warn({ err }, 'members update failed'),
  });

  const delivery = createInOrderDelivery({
    gapTimeoutMs: deps.gapTimeoutMs,
    fetchRange: (roomId, after, upto) => chat.range(roomId, after, upto),
    deliver: (roomId, messages) => deliverLocally(roomId, messages),
    onError: (err) => logger.warn({ err }, 'gap fill failed'),
  });

  const batcher = createDeliveryBatcher({
    ...deps.deliveryBatch,
    flush: (roomId, messages) => {
      const receivers = localSockets(batchGroup(roomId));
      io.local.to(batchGroup(roomId)).emit(EVENTS.messages, { roomId, messages });
      metrics.messageFramesOut.inc(receivers);
      observeDelivered(messages, receivers);
    },
  });

  const localRooms = createLocalRooms({ subscribe: subscribeInOrder, unsubscribe: (roomId) => deps.bus.unsubscribe(roomId) }, (roomId) => {
    delivery.forget(roomId);
    membersFeed.forget(roomId);
    batcher.forget(roomId);
  });
  deps.bus.onMessages((roomId, messages) => {
    metrics.busBatchesReceived.inc();
    metrics.busMessagesReceived.inc(messages.length);
    delivery.push(roomId, messages);
  });
  // Seqs refused after they were reserved: move past them now rather than after the gap timeout.
  deps.bus.onSkipped((roomId, seqs) => delivery.skip(roomId, seqs));
  // Joins and leaves anywhere in the cluster (announced or not, reaped or not) reach here as a signal.
  deps.bus.onMembersChanged((roomId) => membersThrottle.request(roomId));
  // Subscriptions lost and made again (Redis restarted, the subscriber connection dropped): what was
  // published meanwhile never arrived. In-order delivery reads it from the store; `members` is refreshed.
  deps.bus.onResubscribed((roomIds) => {
    for (const roomId of roomIds) {
      membersThrottle.request(roomId);
      void highestSeq(roomId).then((highest) => highest !== undefined && delivery.catchUp(roomId, highest));
    }
  });

  /** The room's highest reserved seq, or undefined (logged) when it cannot be read. */
  function highestSeq(roomId: string): Promise<number | undefined> {
    return chat.highestSeq(roomId).catch((err: unknown) => {
      logger.warn({ err, roomId }, "reading a room's highest seq failed");
      return undefined;
    });
  }

  /**
   * Subscribes to a room's bus channel, then starts its in-order delivery after the room's highest
   * seq reserved by then: every later seq is published after the subscription, so none is missed,
   * whichever node's commit comes first. Earlier seqs are history.
   */
  async function subscribeInOrder(roomId: string): Promise<void> {
    const begin = delivery.hold(roomId);
    try {
      await deps.bus.subscribe(roomId);
    } catch (err) {
      delivery.forget(roomId);
      throw err;
    }
    // Unreadable: delivery starts at the first message seen.
    const highest = await highestSeq(roomId);
    begin(highest === undefined ? undefined : highest + 1);
  }

  /** One `message` frame per message to the room's other sockets; the batch group's go through the batcher. */
  function deliverLocally(roomId: string, messages: ChatMessage[]): void {
    const batching = localSockets(batchGroup(roomId));
    const each = localSockets(roomId) - batching;
    if (batching > 0) batcher.push(roomId, messages);
    if (each === 0) return;
    const to = batching > 0 ? io.local.to(roomId).except(batchGroup(roomId)) : io.local.to(roomId);
    for (const m of messages) to.emit(EVENTS.message, m);
    metrics.messageFramesOut.inc(each * messages.length);
    observeDelivered(messages, each);
  }

  function observeDelivered(messages: ChatMessage[], receivers: number): void {
    const now = Date.now();
    for (const m of messages) metrics.fanoutLatency.observe(Math.max(0, now - Date.parse(m.sentAt)) / 1000);
    metrics.messagesOut.inc(receivers * messages.length);
  }

  async function join(socket: ChatSocket, roomId: string): Promise<void> {
    // Gone while the request was checked (the room look-up waits on the store): its
    // disconnect has left every room it had, and would not leave this one.
    if (!socket.connected || socket.data.rooms.has(roomId)) return;
    assertRoomSlot(socket, roomId); // again: joins of one socket may overlap
    socket.data.rooms.add(roomId);
    let acquired = false;
    try {
      await localRooms.acquire(roomId);
      acquired = true;
      // Left (a leave request, a disconnect) while the room's subscription was pending: that
      // leave released the room, and entering presence now would leave a ghost nobody removes.
      // From here to the presence command being sent nothing waits on I/O, so this check holds.
      if (!socket.data.rooms.has(roomId)) return;
      await socket.join(socket.data.batch ? [roomId, batchGroup(roomId)] : roomId);
      membersFeed.socketJoined(roomId, socket.id);
      await chat.enter(roomId, socket.data.user, socket.id);
      metrics.localRooms.set(localRooms.count());
      membersThrottle.request(roomId);
    } catch (err) {
      if (!acquired) {
        // The subscription failed: the room was never counted for this socket, so it is not released.
        socket.data.rooms.delete(roomId);
        throw err;
      }
      // Undo what got done, presence included: nothing was announced, so nothing is.
      await leave(socket, roomId, false).catch((undoErr) => logger.warn({ err: undoErr, roomId }, 'undoing a failed join failed'));
      throw err;
    }
  }

  async function leave(socket: ChatSocket, roomId: string, announce = true): Promise<void> {
    if (!socket.data.rooms.delete(roomId)) return;
    await socket.leave(roomId);
    if (socket.data.batch) await socket.leave(batchGroup(roomId));
    membersFeed.socketLeft(roomId, socket.id);
    await localRooms.release(roomId);
    metrics.localRooms.set(localRooms.count());
    await chat.exit(roomId, socket.data.user.userId, socket.id, { announce });
  }

  function assertRoomSlot(socket: ChatSocket, roomId: string): void {
    if (socket.data.rooms.has(roomId) || socket.data.rooms.size < deps.roomsPerSocketMax) return;
    throw new ChatError('limit_exceeded', `A connection may be in at most ${deps.roomsPerSocketMax} rooms; leave one first.`);
  }

  function requireJoined(socket: ChatSocket, roomId: string): void {
    if (!socket.data.rooms.has(roomId)) throw new ChatError('not_member', 'Join the room first.');
  }

  const sweep = startConnectionSweep<ChatSocket>({
    sockets: () => io.of('/').sockets.values(),
    connOf: (socket) => socket.conn as unknown as QueuedConnection,
    expiresAt: (socket) => socket.data.user.expiresAt,
    maxQueuedBytes: deps.clientQueueMaxBytes,
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

  const quota = createConnectionQuota(deps.connectionsPerUserMax);
  io.use(createHandshake({ tokens: deps.tokens, chat, quota, connectionsPerUserMax: deps.connectionsPerUserMax, logger }));

  io.on('connection', (socket: ChatSocket) => {
    metrics.connectedSockets.inc();
    const frameTooLarge = trackFrameSize(socket);
    const ctx = { logger, frameTooLarge, onError: (code: string) => metrics.requestErrors.inc({ code }) };

    onRequest(socket, EVENTS.message, async (payload) => {
      const req = chat.parseSend(payload);
      requireJoined(socket, req.roomId);
      const started = process.hrtime.bigint();
      const message = await chat.postMessage(socket.data.user, req);
      metrics.ackLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
      return { message };
    }, ctx);

    onRequest(socket, EVENTS.history, async (payload) => {
      const req = chat.parseHistory(payload);
      requireJoined(socket, req.roomId);
      return chat.history(req);
    }, ctx);

    onRequest(socket, EVENTS.join, async (payload) => {
      const { roomId } = parseOrThrow(roomRefSchema, payload);
      // Before the membership is recorded, so that a refused join leaves nothing behind.
      assertRoomSlot(socket, roomId);
      await chat.chargeJoin(socket.data.user);
      await chat.admit(roomId, socket.data.user);
      await join(socket, roomId);
    }, ctx);

    onRequest(socket, EVENTS.leave, async (payload) => {
      const { roomId } = parseOrThrow(roomRefSchema, payload);
      requireJoined(socket, roomId);
      await leave(socket, roomId);
    }, ctx);

    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args[args.length - 1];
      const error = { code: 'bad_request' as const, message: `Unknown event "${event}".` };
      if (typeof ack === 'function') ack({ ok: false, error });
      else socket.emit(EVENTS.error, { ...error, event });
    });

    socket.on('disconnect', () => {
      quota.release(socket.data.user.userId);
      metrics.connectedSockets.dec();
      for (const roomId of [...socket.data.rooms]) {
        leave(socket, roomId).catch((err) => logger.warn({ err, roomId }, 'leave on disconnect failed'));
      }
    });

    const initialRoom = (socket.handshake.auth as { roomId?: string }).roomId;
    if (initialRoom) {
      join(socket, initialRoom).catch((err) => {
        const error = err instanceof ChatError ? err : new ChatError('internal');
        if (!(err instanceof ChatError)) logger.error({ err }, 'initial join failed');
        socket.emit(EVENTS.error, { code: error.code, message: error.message, event: EVENTS.join });
      });
    }
  });

  let closing: Promise<void> | undefined;
  return {
    io,
    /** Disconnects every local socket (they reconnect elsewhere) and waits for their leaves. */
    async disconnectAll(): Promise<void> {
      const sockets = await io.local.fetchSockets();
      const leaves: Promise<void>[] = [];
      for (const s of sockets) {
        const socket = io.of('/').sockets.get(s.id);
        if (!socket) continue;
        leaves.push(...[...socket.data.rooms].map((roomId) => leave(socket, roomId).catch(() => undefined)));
        socket.disconnect(true);
      }
      await Promise.all(leaves);
    },
    /** Idempotent. Stops timers and closes socket.io (not the http server's other users). */
    close(): Promise<void> {
      closing ??= (async () => {
        sweep.close();
        membersThrottle.close();
        delivery.close();
        batcher.close();
        await new Promise<void>((resolve) => io.close(() => resolve()));
      })();
      return closing;
    },
  };
}

export type SocketGateway = ReturnType<typeof attachSocketGateway>;

/**
 * The socket.io room holding a room's batching sockets (they are in the room
 * itself too, for `members`). NUL cannot occur in a room id.
 */
function batchGroup(roomId: string): string {
  return `${roomId}\u0000batch`;
}

/** Local sockets per step of the adaptive `members` interval. */
export const MEMBERS_STEP_SOCKETS = 500;

/**
 * A `members` update costs (local sockets) x (members listed), so in big rooms
 * the interval grows with the room: one more base interval per 500 local
 * sockets keeps a room's members traffic linear in its size (a 5,000-member
 * room on one node: a list every 2.5 s at the 250 ms default).
 */
export function membersIntervalFor(baseMs: number, localSockets: number): number {
  return baseMs * Math.max(1, Math.ceil(localSockets / MEMBERS_STEP_SOCKETS));
}
