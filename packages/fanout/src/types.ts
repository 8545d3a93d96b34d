import type { ChatMessage } from '@chat/protocol';

/**
 * Carries stored messages from the node that stored them to every socket node
 * that has members in the room, and only to those (interest routing).
 * Messages of one publish call stay together and in order. A bus subscribed to
 * the room gets its own batches too, once, without a network round trip.
 */
export interface RoomBus {
  publish(roomId: string, messages: readonly ChatMessage[]): Promise<void>;
  /** Starts receiving the room's messages on this node. Idempotent per room. */
  subscribe(roomId: string): Promise<void>;
  unsubscribe(roomId: string): Promise<void>;
  /** One handler per bus; it receives every batch of every subscribed room. */
  onMessages(handler: (roomId: string, messages: ChatMessage[]) => void): void;
  /**
   * Tells the nodes with members in the room that its member list changed
   * (someone's first connection came or last one went). Any node may send it,
   * an API node's presence reaper included; it carries no data.
   */
  publishMembersChanged(roomId: string): Promise<void>;
  /** One handler per bus, for every subscribed room's members-changed signal. */
  onMembersChanged(handler: (roomId: string) => void): void;
  /**
   * Tells the room's nodes that these seqs were reserved but will never be
   * stored (the send was refused after its seq was taken), so in-order
   * delivery moves past them at once instead of waiting out its gap timeout.
   * The publisher's own node hears it through the bus like every other.
   */
  publishSkipped(roomId: string, seqs: readonly number[]): Promise<void>;
  /** One handler per bus, for every subscribed room's skipped seqs. */
  onSkipped(handler: (roomId: string, seqs: number[]) => void): void;
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
