import type { BusTransport, MeteredRoomBus } from './types';
import { createRoomBus } from './room-bus';
import type { RoomBusOptions } from './room-bus';

type Receiver = (roomId: string, payload: string) => void;

/**
 * What several in-process transports share to act as several nodes (tests,
 * the embedded server). Each registers per room, so it only gets rooms it
 * subscribed, as with Redis sharded pub/sub.
 */
export interface MemoryBusHub {
  /** Internal to the memory transport. */
  readonly rooms: Map<string, Set<Receiver>>;
}

export function createMemoryBusHub(): MemoryBusHub {
  return { rooms: new Map() };
}

/**
 * In-process transport. Delivery is async (a microtask per receiver and
 * payload, so publish order is kept) like a real bus: a handler never runs
 * inside `publish`. Nothing between publisher and subscriber can drop, so it
 * never reports a re-subscription.
 */
export function createMemoryTransport(hub: MemoryBusHub = createMemoryBusHub()): BusTransport {
  const subscribed = new Set<string>();
  let onPayload: Receiver = () => {};
  let closed = false;

  // Checked at delivery time: after unsubscribe()/close() resolves nothing more arrives.
  const receive: Receiver = (roomId, payload) => {
    if (!closed && subscribed.has(roomId)) onPayload(roomId, payload);
  };

  function detach(roomId: string): void {
    subscribed.delete(roomId);
    const set = hub.rooms.get(roomId);
    if (!set) return;
    set.delete(receive);
    if (set.size === 0) hub.rooms.delete(roomId);
  }

  return {
    localEcho: true,
    async publish(roomId, payload) {
      for (const r of hub.rooms.get(roomId) ?? []) queueMicrotask(() => r(roomId, payload));
    },
    async subscribe(roomId) {
      subscribed.add(roomId);
      let set = hub.rooms.get(roomId);
      if (!set) hub.rooms.set(roomId, (set = new Set()));
      set.add(receive);
    },
    async unsubscribe(roomId) {
      detach(roomId);
    },
    onPayload(h) {
      onPayload = h;
    },
    onResubscribed() {},
    isSubscribed: (roomId) => subscribed.has(roomId),
    subscribedRooms: () => new Set(subscribed),
    async close() {
      closed = true;
      for (const roomId of [...subscribed]) detach(roomId);
    },
  };
}

/** A room bus on the in-process transport (the embedded server, tests). */
export function createMemoryBus(opts: RoomBusOptions & { hub?: MemoryBusHub } = {}): MeteredRoomBus {
  return createRoomBus(createMemoryTransport(opts.hub), opts);
}
