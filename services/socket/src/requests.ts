import { ChatError, EVENTS, assertContent, historyRequestSchema, joinRequestSchema, parseOrThrow, roomRefSchema, sendMessageSchema } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import type { Logger } from '@chat/observability';
import type { ChatSocket } from './chat-socket';
import { requestListener } from './handlers';
import type { SocketRooms } from './socket-rooms';

export interface RequestDeps {
  chat: Pick<ChatService, 'send' | 'history' | 'chargeJoin' | 'admit'>;
  rooms: SocketRooms;
  logger: Logger;
  onError: (code: string) => void;
  /** Seconds from a message request to its ack. */
  onAck: (seconds: number) => void;
}

/**
 * The four requests a client makes: parsed and checked at this edge, then handed to the chat domain.
 * Built once per node; `attach` registers the same four listeners on every socket.
 */
export function createRequests(deps: RequestDeps) {
  const { chat, rooms } = deps;
  const ctx = { logger: deps.logger, onError: deps.onError };

  const onMessage = requestListener(
    EVENTS.message,
    async (socket, payload) => {
      const req = parseOrThrow(sendMessageSchema, payload);
      assertContent(req.content);
      rooms.requireJoined(socket, req.roomId);
      const started = process.hrtime.bigint();
      const message = await chat.send(socket.data.user, req);
      deps.onAck(Number(process.hrtime.bigint() - started) / 1e9);
      return { message };
    },
    ctx,
  );

  const onHistory = requestListener(
    EVENTS.history,
    async (socket, payload) => {
      const req = parseOrThrow(historyRequestSchema, payload);
      rooms.requireJoined(socket, req.roomId);
      // One page at a time per connection: a page is up to 200 messages.
      if (socket.data.historyBusy) throw new ChatError('rate_limited', 'Wait for the answer to the previous history request.', 1);
      socket.data.historyBusy = true;
      try {
        return await chat.history(socket.data.user, req);
      } finally {
        socket.data.historyBusy = false;
      }
    },
    ctx,
  );

  const onJoin = requestListener(
    EVENTS.join,
    async (socket, payload) => {
      const { roomId, afterSeq } = parseOrThrow(joinRequestSchema, payload);
      // Before the membership is recorded, so that a refused join leaves nothing behind.
      rooms.assertRoomSlot(socket, roomId);
      await chat.chargeJoin(socket.data.user);
      await chat.admit(roomId, socket.data.user);
      // With afterSeq the ack comes after what the socket missed was sent: {resumed, newestSeq}.
      return rooms.join(socket, roomId, afterSeq);
    },
    ctx,
  );

  const onLeave = requestListener(
    EVENTS.leave,
    async (socket, payload) => {
      const { roomId } = parseOrThrow(roomRefSchema, payload);
      rooms.requireJoined(socket, roomId);
      await rooms.leave(socket, roomId);
    },
    ctx,
  );

  return {
    attach(socket: ChatSocket): void {
      socket.on(EVENTS.message, onMessage);
      socket.on(EVENTS.history, onHistory);
      socket.on(EVENTS.join, onJoin);
      socket.on(EVENTS.leave, onLeave);
    },
  };
}
