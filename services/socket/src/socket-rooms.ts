import { ChatError } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import type { RoomDelivery } from '@chat/delivery';
import type { Logger } from '@chat/observability';
import type { ChatSocket } from './chat-socket';

/** Messages per `messages` frame when a batching socket is resumed. */
const RESUME_FRAME = 100;

/** What a resuming join did: replayed everything after its seq (`resumed`), or nothing because it was too much. */
export interface Resumed {
  resumed: boolean;
  newestSeq: number;
}

export interface SocketRoomsDeps {
  chat: Pick<ChatService, 'enter' | 'exit' | 'mayEnter'>;
  delivery: Pick<RoomDelivery, 'groupsOf' | 'acquire' | 'release' | 'resume' | 'socketJoined' | 'socketLeft' | 'refreshMembers' | 'rooms'>;
  /** Rooms one socket may be in at once; a join past it is refused with `limit_exceeded`. */
  roomsPerSocketMax: number;
  /** Stored messages a resuming join replays at most (RESUME_MAX). */
  resumeMax: number;
  logger: Logger;
  onRoomCount?: (rooms: number) => void;
}

/**
 * Which rooms each local socket is in, kept consistent with the node's bus
 * subscriptions (delivery) and with presence (chat.enter / chat.exit), also
 * when a socket leaves or disconnects while its join is still on its way.
 */
export function createSocketRooms(deps: SocketRoomsDeps) {
  const { chat, delivery, logger } = deps;

  function assertRoomSlot(socket: ChatSocket, roomId: string): void {
    if (socket.data.rooms.has(roomId) || socket.data.rooms.size < deps.roomsPerSocketMax) return;
    throw new ChatError('limit_exceeded', `A connection may be in at most ${deps.roomsPerSocketMax} rooms; leave one first.`);
  }

  /** Puts the socket in the room's groups now (socket.io adds it locally at once), so later deliveries reach it. */
  function enterGroups(socket: ChatSocket, roomId: string): void {
    const joined = socket.join(delivery.groupsOf(roomId, socket.data.batch));
    if (joined instanceof Promise) joined.catch((err: unknown) => logger.warn({ err, roomId }, 'joining socket.io rooms failed'));
  }

  /** What a resuming socket missed, then live: one `messages` frame per chunk, or one `message` each. */
  function resumeInto(socket: ChatSocket, roomId: string, afterSeq: number) {
    return delivery.resume(roomId, afterSeq, deps.resumeMax, {
      batch: socket.data.batch,
      emit(messages) {
        if (!socket.data.batch) return messages.forEach((m) => socket.emit('message', m));
        for (let i = 0; i < messages.length; i += RESUME_FRAME) socket.emit('messages', { roomId, messages: messages.slice(i, i + RESUME_FRAME) });
      },
      join: () => enterGroups(socket, roomId),
    });
  }

  /**
   * Puts the socket in the room: the node's subscription, the socket's groups, presence. With
   * `afterSeq` it first gets every stored message after it (see RoomDelivery.resume).
   */
  async function join(socket: ChatSocket, roomId: string, afterSeq?: number): Promise<Resumed | undefined> {
    // Gone while the request was checked (the room look-up waits on the store): its
    // disconnect has left every room it had, and would not leave this one.
    if (!socket.connected || socket.data.rooms.has(roomId)) return undefined;
    assertRoomSlot(socket, roomId); // again: joins of one socket may overlap
    socket.data.rooms.add(roomId);
    let acquired = false;
    try {
      await delivery.acquire(roomId);
      acquired = true;
      // Left (a leave request, a disconnect) while the room's subscription was pending: that
      // leave released the room, and entering presence now would leave a ghost nobody removes.
      // From here to the presence command being sent nothing waits on I/O, so this check holds.
      if (!socket.data.rooms.has(roomId)) return undefined;
      let resumed: Resumed | undefined;
      if (afterSeq === undefined) enterGroups(socket, roomId);
      else resumed = await resumeInto(socket, roomId, afterSeq);
      delivery.socketJoined(roomId, socket.id);
      await chat.enter(roomId, socket.data.user, socket.id);
      deps.onRoomCount?.(delivery.rooms());
      delivery.refreshMembers(roomId);
      return resumed;
    } catch (err) {
      if (!acquired) {
        // The subscription failed: the room was never counted for this socket, so it is not released.
        socket.data.rooms.delete(roomId);
        throw err;
      }
      // Undo what got done, presence included: nothing was announced, so nothing is.
      await leave(socket, roomId, false).catch((undoErr: unknown) => logger.warn({ err: undoErr, roomId }, 'undoing a failed join failed'));
      throw err;
    }
  }

  async function leave(socket: ChatSocket, roomId: string, announce = true): Promise<void> {
    if (!socket.data.rooms.delete(roomId)) return;
    for (const group of delivery.groupsOf(roomId, socket.data.batch)) await socket.leave(group);
    delivery.socketLeft(roomId, socket.id);
    await delivery.release(roomId);
    deps.onRoomCount?.(delivery.rooms());
    await chat.exit(roomId, socket.data.user.userId, socket.id, { announce });
  }

  return {
    assertRoomSlot,
    join,
    leave,

    requireJoined(socket: ChatSocket, roomId: string): void {
      if (!socket.data.rooms.has(roomId)) throw new ChatError('not_member', 'Join the room first.');
    },

    /** Every room of a socket that is going away. */
    leaveAll(socket: ChatSocket): Promise<void> {
      return Promise.all(
        [...socket.data.rooms].map((roomId) => leave(socket, roomId).catch((err: unknown) => logger.warn({ err, roomId }, 'leave on disconnect failed'))),
      ).then(() => undefined);
    },

    /**
     * A user's access to a private room was taken back: its sockets here leave the room (announced, like
     * any leave) unless they still may enter (an app token naming the room), and are told.
     */
    async revoke(sockets: Iterable<ChatSocket>, roomId: string, userId: string): Promise<void> {
      for (const socket of sockets) {
        if (socket.data.user.userId !== userId || !socket.data.rooms.has(roomId)) continue;
        if (await chat.mayEnter(roomId, socket.data.user).catch(() => false)) continue;
        await leave(socket, roomId);
        socket.emit('removed', { roomId });
      }
    },
  };
}

export type SocketRooms = ReturnType<typeof createSocketRooms>;
