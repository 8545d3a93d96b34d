import { ChatError } from '@chat/protocol';
import type { ChatMessage } from '@chat/protocol';
import { createStatsCounter } from './stats';
import type { MeteredRoomBus } from './types';

/** A batch of messages, the members-changed signal, or seqs that will never be stored. */
type Payload = ChatMessage[] | 'membersChanged' | { skipped: number[] };
type Receiver = (roomId: string, payload: Payload) => void;

/**
 * What several in-process buses share to act as several nodes (tests, the
 * dev cluster). Each bus registers per room, so it only gets rooms it
 * subscribed, as with Redis sharded pub/sub.
 */
export interface MemoryBusHub {
  /** Internal to the memory bus. */
  readonly rooms: Map<string, Set<Receiver>>;
}

export function createMemoryBusHub(): MemoryBusHub {
  return { rooms: new Map() };
}

/**
 * In-process RoomBus for the embedded server and for tests. Delivery is async
 * (a microtask per receiver and batch, so publish order is kept) like a real
 * bus: a handler never runs inside `publish`.
 */
export function createMemoryBus(
  opts: { hub?: MemoryBusHub; /** A throwing handler is reported here, never thrown into the microtask queue. */ onError?: (err: unknown) => void } = {},
): MeteredRoomBus {
  const hub = opts.hub ?? createMemoryBusHub();
  const subscribed = new Set<string>();
  const stats = createStatsCounter();
  let handler: ((roomId: string, messages: ChatMessage[]) => void) | undefined;
  let membersHandler: ((roomId: string) => void) | undefined;
  let skippedHandler: ((roomId: string, seqs: number[]) => void) | undefined;
  let closed = false;

  const receive: Receiver = (roomId, payload) => {
    // Checked at delivery time: after unsubscribe()/close() resolves nothing more arrives.
    if (closed || !subscribed.has(roomId)) return;
    try {
      if (payload === 'membersChanged') {
        membersHandler?.(roomId);
        return;
      }
      if (!Array.isArray(payload)) {
        skippedHandler?.(roomId, payload.skipped);
        return;
      }
      stats.received(payload.length);
      handler?.(roomId, payload);
    } catch (err) {
      opts.onError?.(err);
    }
  };

  function assertOpen(): void {
    if (closed) throw new ChatError('unavailable', 'The room bus is closed.');
  }

  function send(roomId: string, payload: (() => Payload) | 'membersChanged'): void {
    for (const r of hub.rooms.get(roomId) ?? []) {
      // Each receiver gets its own array, as it would from a real bus.
      const copy = typeof payload === 'function' ? payload() : payload;
      queueMicrotask(() => r(roomId, copy));
    }
  }

  function detach(roomId: string): void {
    subscribed.delete(roomId);
    const set = hub.rooms.get(roomId);
    if (!set) return;
    set.delete(receive);
    if (set.size === 0) hub.rooms.delete(roomId);
  }

  return {
    async publish(roomId, messages) {
      assertOpen();
      if (messages.length === 0) return;
      stats.published();
      send(roomId, () => messages.slice());
    },
    async publishMembersChanged(roomId) {
      assertOpen();
      send(roomId, 'membersChanged');
    },
    async publishSkipped(roomId, seqs) {
      assertOpen();
      if (seqs.length === 0) return;
      send(roomId, () => ({ skipped: seqs.slice() }));
    },
    async subscribe(roomId) {
      assertOpen();
      subscribed.add(roomId);
      let set = hub.rooms.get(roomId);
      if (!set) hub.rooms.set(roomId, (set = new Set()));
      set.add(receive);
    },
    async unsubscribe(roomId) {
      detach(roomId);
    },
    onMessages(h) {
      handler = h;
    },
    onMembersChanged(h) {
      membersHandler = h;
    },
    onSkipped(h) {
      skippedHandler = h;
    },
    onResubscribed() {
      // Nothing between publisher and subscriber can drop: there is nothing to catch up on.
    },
    subscribedRooms() {
      return new Set(subscribed);
    },
    stats: () => stats.snapshot(),
    async close() {
      if (closed) return;
      closed = true;
      for (const roomId of [...subscribed]) detach(roomId);
    },
  };
}
