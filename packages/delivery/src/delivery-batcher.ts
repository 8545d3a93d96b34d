import type { ChatMessage } from '@chat/protocol';

/**
 * Batched delivery, for sockets that ask for it in the handshake
 * (`delivery: 'batch'`): a room's messages reach them as one `messages` frame
 * per window instead of one `message` frame each.
 *
 * Why: a frame costs a socket write on the node, a hop through the load
 * balancer and a parse on the client whatever it carries, and at 20 receivers
 * per message those per-frame costs are most of a node's CPU (the benchmarks'
 * profile: a fifth of it in `writev` alone).
 *
 * The first messages after a quiet window go out at once, so a lone message
 * waits for nothing; messages arriving within `windowMs` of the last frame wait
 * for the window's end (or until `maxBatch` are pending). Order is kept: the
 * caller pushes each room's messages in seq order and frames go out in push order.
 */
export interface DeliveryBatcher {
  /** Messages of one room, in seq order, for the room's batching sockets. */
  push(roomId: string, messages: readonly ChatMessage[]): void;
  /** The room has no local sockets any more: drop its pending messages and timer. */
  forget(roomId: string): void;
  /** Clears every timer; pending messages are dropped. Idempotent. */
  close(): void;
}

export interface DeliveryBatcherOptions {
  /** Longest a message waits for companions. 0: one frame per push, never held. */
  windowMs: number;
  /** Pending messages that trigger a frame before the window ends. */
  maxBatch: number;
  flush: (roomId: string, messages: ChatMessage[]) => void;
  now?: () => number;
}

interface RoomWindow {
  pending: ChatMessage[];
  timer: NodeJS.Timeout | undefined;
  lastFlushAt: number;
}

export function createDeliveryBatcher(opts: DeliveryBatcherOptions): DeliveryBatcher {
  const now = opts.now ?? Date.now;
  const rooms = new Map<string, RoomWindow>();
  let closed = false;

  function flush(roomId: string, w: RoomWindow): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;
    if (w.pending.length === 0) return;
    const messages = w.pending;
    w.pending = [];
    w.lastFlushAt = now();
    opts.flush(roomId, messages);
  }

  return {
    push(roomId, messages) {
      if (closed || messages.length === 0) return;
      let w = rooms.get(roomId);
      if (!w) {
        w = { pending: [], timer: undefined, lastFlushAt: -Infinity };
        rooms.set(roomId, w);
      }
      w.pending.push(...messages);
      const quiet = now() - w.lastFlushAt >= opts.windowMs;
      if ((quiet && !w.timer) || w.pending.length >= opts.maxBatch) {
        flush(roomId, w);
        return;
      }
      w.timer ??= setTimeout(() => flush(roomId, w), Math.max(0, w.lastFlushAt + opts.windowMs - now()));
    },
    forget(roomId) {
      const w = rooms.get(roomId);
      if (w?.timer) clearTimeout(w.timer);
      rooms.delete(roomId);
    },
    close() {
      closed = true;
      for (const w of rooms.values()) if (w.timer) clearTimeout(w.timer);
      rooms.clear();
    },
  };
}
