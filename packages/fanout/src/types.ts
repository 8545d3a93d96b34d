import type { BusEvent } from './bus-events';

/**
 * Carries what happens in a room (stored messages, skipped seqs, member-list
 * and access changes: BusEvent) from the node where it happened to every node
 * that has members in the room, and only to those (interest routing). Events
 * of one publisher arrive in publish order. A bus subscribed to the room gets
 * its own message batches too, once, without a network round trip.
 */
export interface RoomBus extends RoomPublisher {
  /** Starts receiving the room's events on this node. Idempotent per room. */
  subscribe(roomId: string): Promise<void>;
  unsubscribe(roomId: string): Promise<void>;
  /** One handler per bus; it receives every event of every subscribed room. */
  onEvent(handler: (roomId: string, event: BusEvent) => void): void;
  /**
   * One handler per bus, called after this node's subscriptions were lost and made again (the
   * subscriber connection dropped, Redis restarted) with the rooms re-subscribed: anything
   * published to them in between never reached this node. An in-process bus never calls it.
   */
  onResubscribed(handler: (roomIds: string[]) => void): void;
  subscribedRooms(): ReadonlySet<string>;
  /** Idempotent. Does not close clients passed in. */
  close(): Promise<void>;
}

/** The sending half of the bus: what a node needs to tell a room's nodes that something happened. */
export interface RoomPublisher {
  /** Rejects when the transport refused it (Redis unreachable); an empty batch or seq list sends nothing. */
  publish(roomId: string, event: BusEvent): Promise<void>;
}

/**
 * What a bus rides on: strings per room, nothing more. The engine
 * (room-bus.ts) does the encoding, echo suppression and counting.
 */
export interface BusTransport {
  /**
   * True when a subscribed publisher gets its own payloads back without a network round
   * trip (in-process): then the engine need not hand them over itself ahead of the echo.
   */
  readonly localEcho: boolean;
  publish(roomId: string, payload: string): Promise<void>;
  subscribe(roomId: string): Promise<void>;
  unsubscribe(roomId: string): Promise<void>;
  onPayload(handler: (roomId: string, payload: string) => void): void;
  /** Subscriptions lost and made again (a reconnect): these rooms may have missed payloads. */
  onResubscribed(handler: (roomIds: string[]) => void): void;
  isSubscribed(roomId: string): boolean;
  subscribedRooms(): ReadonlySet<string>;
  /** Idempotent. Does not close clients passed in. */
  close(): Promise<void>;
}

/** Counters since the bus was created; a node with no members in a room receives nothing of it. */
export interface BusStats {
  publishedBatches: number;
  receivedBatches: number;
  receivedMessages: number;
  /** Payloads that arrived but were malformed and dropped. */
  droppedBatches: number;
}

/** A RoomBus that counts its traffic (for metrics and for tests of interest routing). */
export interface MeteredRoomBus extends RoomBus {
  /** A snapshot; later traffic does not change the returned object. */
  stats(): BusStats;
}

/** Hands out per-room sequence numbers without a database round trip. */
export interface SeqAllocator {
  /** Reserves `count` consecutive seqs for the room and returns the first. */
  reserve(roomId: string, count: number): Promise<number>;
  /**
   * The highest seq handed out so far (the store's highest where there is no counter yet): every
   * seq above it is reserved after this call answered. Does not create a counter.
   */
  highest(roomId: string): Promise<number>;
}

/** Where the allocator starts a room it has never seen (or that Redis forgot): the highest stored seq. */
export type LoadMaxSeq = (roomId: string) => Promise<number>;
