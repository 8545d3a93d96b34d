import { ChatError } from '@chat/protocol';
import type { BusEvent } from './bus-events';
import { decodeEvent, encodeEvent } from './codec';
import { createStatsCounter } from './stats';
import type { BusTransport, MeteredRoomBus } from './types';

/** Own batches whose echo is still expected: at most this many, for at most this long. */
const MAX_PENDING_ECHOES = 10_000;
const ECHO_TTL_MS = 30_000;

export interface RoomBusOptions {
  /** Malformed payloads, a throwing handler, transport trouble. Never thrown. */
  onError?: (err: unknown) => void;
}

/**
 * The room bus: one engine over a transport that only moves strings per room
 * (in-process, or Redis sharded pub/sub). The engine encodes and decodes
 * events (codec.ts), counts traffic, and, over a networked transport, hands
 * this node's own message batches to its handler at publish time, skipping
 * their echo, so the publishing node's members never wait for a round trip.
 */
export function createRoomBus(transport: BusTransport, opts: RoomBusOptions = {}): MeteredRoomBus {
  const onError = opts.onError ?? (() => {});
  const stats = createStatsCounter();
  let handler: ((roomId: string, event: BusEvent) => void) | undefined;
  let resubscribedHandler: ((roomIds: string[]) => void) | undefined;
  let closed = false;
  /**
   * Batches handed to the own handler at publish time, by payload, so their
   * echo is skipped. Bounded: an echo that never comes (a failed publish, a
   * subscription still in flight) ages out.
   */
  const echoes = new Map<string, number>();

  function expectEcho(payload: string): void {
    const now = Date.now();
    for (const [key, at] of echoes) {
      if (echoes.size < MAX_PENDING_ECHOES && now - at < ECHO_TTL_MS) break;
      echoes.delete(key);
    }
    echoes.set(payload, now);
  }

  function dispatch(roomId: string, event: BusEvent): void {
    if (closed || !transport.isSubscribed(roomId)) return;
    if (event.kind === 'messages') stats.received(event.messages.length);
    try {
      handler?.(roomId, event);
    } catch (err) {
      onError(err);
    }
  }

  transport.onPayload((roomId, payload) => {
    // Our own batch, already handed over when it was published.
    if (echoes.delete(payload)) return;
    let event: BusEvent;
    try {
      event = decodeEvent(payload, roomId);
    } catch (err) {
      stats.dropped();
      onError(err);
      return;
    }
    dispatch(roomId, event);
  });

  transport.onResubscribed((roomIds) => {
    if (closed) return;
    try {
      resubscribedHandler?.(roomIds);
    } catch (err) {
      onError(err);
    }
  });

  function assertOpen(): void {
    if (closed) throw new ChatError('unavailable', 'The room bus is closed.');
  }

  return {
    async publish(roomId, event) {
      assertOpen();
      if (event.kind === 'messages' && event.messages.length === 0) return;
      if (event.kind === 'skipped' && event.seqs.length === 0) return;
      const payload = encodeEvent(event);
      // After the current turn, so that the acks released with this batch go out before its fan-out.
      if (event.kind === 'messages' && !transport.localEcho && transport.isSubscribed(roomId) && handler) {
        expectEcho(payload);
        const own: BusEvent = { kind: 'messages', messages: event.messages.slice() };
        setImmediate(() => dispatch(roomId, own));
      }
      await transport.publish(roomId, payload);
      if (event.kind === 'messages') stats.published();
    },
    subscribe(roomId) {
      if (closed) return Promise.reject(new ChatError('unavailable', 'The room bus is closed.'));
      return transport.subscribe(roomId);
    },
    unsubscribe: (roomId) => transport.unsubscribe(roomId),
    onEvent(h) {
      handler = h;
    },
    onResubscribed(h) {
      resubscribedHandler = h;
    },
    subscribedRooms: () => transport.subscribedRooms(),
    stats: () => stats.snapshot(),
    async close() {
      if (closed) return;
      closed = true;
      echoes.clear();
      await transport.close();
    },
  };
}
