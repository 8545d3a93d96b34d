import { EVENTS } from '@chat/protocol';
import type { ChatMessage, Member } from '@chat/protocol';
import type { RoomBus } from '@chat/fanout';
import { createInOrderDelivery } from './in-order';
import { createDeliveryBatcher } from './delivery-batcher';
import { createMembersFeed } from './members-feed';
import { createKeyedThrottle } from './throttle';
import { createLocalRooms } from './local-rooms';
import { batchGroup } from './local-sockets';
import type { LocalSockets } from './local-sockets';
import { membersIntervalFor } from './members-interval';

/** What the pipeline reads from the domain: stored messages for gaps and resumes, a room's highest seq, its members. */
export interface DeliverySource {
  range(roomId: string, afterSeq: number, uptoSeq: number): Promise<ChatMessage[]>;
  /** The oldest `limit` stored messages with seq above `afterSeq`, oldest first. */
  after(roomId: string, afterSeq: number, limit: number): Promise<ChatMessage[]>;
  highestSeq(roomId: string): Promise<number>;
  members(roomId: string): Promise<Member[]>;
}

/** What the pipeline reports; the socket node turns it into metrics and logs. */
export interface DeliveryObserver {
  busBatch?(messages: number): void;
  /** `receivers` sockets got these messages in `frames` frames. */
  delivered?(messages: readonly ChatMessage[], receivers: number, frames: number): void;
  membersFrames?(frames: number): void;
  /** A message received live, as it is delivered: seconds it waited for a lower seq (0: none). */
  reorderWait?(seconds: number): void;
  warn?(err: unknown, what: string, roomId?: string): void;
}

/** How often a resume looks again for a seq whose commit may be in flight. */
const IN_FLIGHT_POLL_MS = 20;

/** A socket being resumed: how it gets messages before it is in the room's groups, and how it joins them (synchronously). */
export interface ResumingSocket {
  /** Gets its messages in `messages` batches (else one `message` each). */
  batch: boolean;
  emit(messages: ChatMessage[]): void;
  join(): void;
}

interface Held {
  batch: boolean;
  messages: ChatMessage[];
}

export interface RoomDeliveryOptions {
  bus: RoomBus;
  source: DeliverySource;
  sockets: LocalSockets;
  gapTimeoutMs: number;
  /** Sockets in a room's batch group get its messages as one `messages` frame per window. */
  batch: { windowMs: number; maxBatch: number };
  membersIntervalMs: number;
  /** Rooms with more online members get a full list once per socket, then `members_diff`. */
  membersFullListMax: number;
  /** The owner of a private room took a user's access back: the node removes that user's sockets from it. */
  onRevoked?: (roomId: string, userId: string) => void;
  observer?: DeliveryObserver;
}

/**
 * The receiving half of the message path, for one node: from the room bus to
 * this node's sockets. While the node has sockets in a room it is subscribed
 * to the room's channel; messages go through in-order delivery (seq order,
 * duplicates dropped, gaps filled from the store) and out as one `message`
 * frame per message, or one `messages` frame per window for batching sockets;
 * member-list changes become coalesced `members` / `members_diff` frames.
 */
export function createRoomDelivery(opts: RoomDeliveryOptions) {
  const { bus, source, sockets, observer = {} } = opts;
  const warn = (err: unknown, what: string, roomId?: string) => observer.warn?.(err, what, roomId);

  const inOrder = createInOrderDelivery({
    gapTimeoutMs: opts.gapTimeoutMs,
    fetchRange: (roomId, after, upto) => source.range(roomId, after, upto),
    deliver: (roomId, messages) => deliverLocally(roomId, messages),
    onError: (err) => warn(err, 'gap fill failed'),
    ...(observer.reorderWait ? { onWaited: (ms: number) => observer.reorderWait?.(ms / 1000) } : {}),
  });

  const batcher = createDeliveryBatcher({
    ...opts.batch,
    flush: (roomId, messages) => {
      hold(roomId, true, messages);
      const receivers = sockets.count(batchGroup(roomId));
      sockets.emit(batchGroup(roomId), EVENTS.messages, { roomId, messages });
      observer.delivered?.(messages, receivers, receivers);
    },
  });

  const membersFeed = createMembersFeed({ fullListMax: opts.membersFullListMax });
  const membersThrottle = createKeyedThrottle({
    intervalMs: (roomId) => membersIntervalFor(opts.membersIntervalMs, sockets.count(roomId)),
    run: (roomId) => sendMembers(roomId),
    onError: (err) => warn(err, 'members update failed'),
  });

  /**
   * Sockets resuming a room: what reaches the room's sockets of their kind meanwhile, to hand them
   * after the stored part. A batching socket's share is taken at the batch flush, not at delivery
   * (a batch still pending when it joins the batch group reaches it anyway), except while the room
   * has no batching socket here: then nothing is batched, and it takes its share at delivery.
   */
  const resuming = new Map<string, Set<Held>>();
  const hold = (roomId: string, batch: boolean, messages: ChatMessage[]): void => {
    for (const held of resuming.get(roomId) ?? []) if (held.batch === batch) held.messages.push(...messages);
  };

  /**
   * Where and when each room's delivery started on this node. Seqs below the start were reserved
   * before the subscription: one whose commit was in flight then reaches the store a moment later,
   * and never arrives live (it is history), so a resume right after the start waits for it.
   */
  const started = new Map<string, { from: number; at: number }>();

  const subscriptions = createLocalRooms({ subscribe: subscribeInOrder, unsubscribe: (roomId) => bus.unsubscribe(roomId) }, (roomId) => {
    inOrder.forget(roomId);
    membersFeed.forget(roomId);
    batcher.forget(roomId);
    started.delete(roomId);
  });

  bus.onEvent((roomId, event) => {
    switch (event.kind) {
      case 'messages':
        observer.busBatch?.(event.messages.length);
        inOrder.push(roomId, event.messages);
        return;
      case 'skipped':
        // Seqs refused after they were reserved: move past them now rather than after the gap timeout.
        inOrder.skip(roomId, event.seqs);
        return;
      case 'membersChanged':
        // Joins and leaves anywhere in the cluster (announced or not, reaped or not).
        membersThrottle.request(roomId);
        return;
      case 'revoked':
        opts.onRevoked?.(roomId, event.userId);
        return;
    }
  });

  // Subscriptions lost and made again (Redis restarted, the subscriber connection dropped): what was
  // published meanwhile never arrived. In-order delivery reads it from the store; `members` is refreshed.
  bus.onResubscribed((roomIds) => {
    for (const roomId of roomIds) {
      membersThrottle.request(roomId);
      void highestSeq(roomId).then((highest) => highest !== undefined && inOrder.catchUp(roomId, highest));
    }
  });

  /** The room's highest reserved seq, or undefined (reported) when it cannot be read. */
  function highestSeq(roomId: string): Promise<number | undefined> {
    return source.highestSeq(roomId).catch((err: unknown) => {
      warn(err, "reading a room's highest seq failed", roomId);
      return undefined;
    });
  }

  /**
   * Subscribes to a room's bus channel, then starts its in-order delivery after the room's highest
   * seq reserved by then: every later seq is published after the subscription, so none is missed,
   * whichever node's commit comes first. Earlier seqs are history.
   */
  async function subscribeInOrder(roomId: string): Promise<void> {
    const begin = inOrder.hold(roomId);
    try {
      await bus.subscribe(roomId);
    } catch (err) {
      inOrder.forget(roomId);
      throw err;
    }
    // Unreadable: delivery starts at the first message seen.
    const highest = await highestSeq(roomId);
    begin(highest === undefined ? undefined : highest + 1);
    if (highest !== undefined) started.set(roomId, { from: highest + 1, at: Date.now() });
  }

  /**
   * The stored messages with afterSeq < seq <= upto, waiting (up to the gap timeout since the room
   * started here) for seqs below the room's start that are not stored yet: their commits may still
   * be in flight. Seqs still missing after that were never stored (a refused or failed send).
   */
  async function storedUpTo(roomId: string, afterSeq: number, upto: number, max: number): Promise<ChatMessage[] | undefined> {
    const stored = (await source.after(roomId, afterSeq, max + 1)).filter((m) => m.seq <= upto);
    if (stored.length > max) return undefined;
    const start = started.get(roomId);
    const boundary = Math.min(upto, (start?.from ?? 0) - 1);
    const missing = () => {
      const have = new Set(stored.map((m) => m.seq));
      const out: number[] = [];
      for (let seq = afterSeq + 1; seq <= boundary; seq++) if (!have.has(seq)) out.push(seq);
      return out;
    };
    for (let gaps = missing(); gaps.length > 0 && start && Date.now() - start.at < opts.gapTimeoutMs; gaps = missing()) {
      await new Promise((r) => setTimeout(r, IN_FLIGHT_POLL_MS));
      const found = await source.range(roomId, gaps[0]! - 1, gaps[gaps.length - 1]!);
      const have = new Set(stored.map((m) => m.seq));
      stored.push(...found.filter((m) => !have.has(m.seq)));
      stored.sort((a, b) => a.seq - b.seq);
    }
    return stored;
  }

  /** One `message` frame per message to the room's other sockets; the batch group's go through the batcher. */
  function deliverLocally(roomId: string, messages: ChatMessage[]): void {
    const batching = sockets.count(batchGroup(roomId));
    hold(roomId, false, messages);
    // Without batching sockets nothing goes through the batcher: a batching resumer takes its share now.
    if (batching === 0) hold(roomId, true, messages);
    const each = sockets.count(roomId) - batching;
    if (batching > 0) batcher.push(roomId, messages);
    if (each === 0) return;
    for (const m of messages) sockets.emit(roomId, EVENTS.message, m, batching > 0 ? batchGroup(roomId) : undefined);
    observer.delivered?.(messages, each, each * messages.length);
  }

  async function sendMembers(roomId: string): Promise<void> {
    if (sockets.count(roomId) === 0) return;
    const members = await source.members(roomId);
    // Decide and emit in one synchronous step: a socket joining meanwhile is in `fresh` or not, never half.
    const plan = membersFeed.next(roomId, members);
    if (plan.fullToAll) {
      observer.membersFrames?.(sockets.count(roomId));
      sockets.emit(roomId, EVENTS.members, { roomId, members });
      return;
    }
    // Every socket is a group of its own id: one emit encodes the list once for all newcomers.
    if (plan.fullTo.length > 0) sockets.emit(plan.fullTo, EVENTS.members, { roomId, members });
    observer.membersFrames?.(plan.fullTo.length);
    if (plan.diff) {
      observer.membersFrames?.(Math.max(0, sockets.count(roomId) - plan.fullTo.length));
      sockets.emit(roomId, EVENTS.membersDiff, plan.diff, plan.fullTo);
    }
  }

  return {
    /** The socket.io rooms a socket of this room joins: the room, and its batch group when it batches. */
    groupsOf: (roomId: string, batch: boolean): string[] => (batch ? [roomId, batchGroup(roomId)] : [roomId]),

    /** A local socket is about to join the room: resolves once the node receives the room's messages. */
    acquire: (roomId: string): Promise<void> => subscriptions.acquire(roomId),

    /** A local socket left the room; the node unsubscribes after the last one. */
    release: (roomId: string): Promise<void> => subscriptions.release(roomId),

    /** The socket joined the room's groups: it gets its first member list at the next update. */
    socketJoined: (roomId: string, socketId: string): void => membersFeed.socketJoined(roomId, socketId),
    /** Schedules a (coalesced) member-list update of the room for this node's sockets. */
    refreshMembers: (roomId: string): void => membersThrottle.request(roomId),
    socketLeft: (roomId: string, socketId: string): void => membersFeed.socketLeft(roomId, socketId),

    /**
     * A socket comes back to a room it was in: hands it every stored message after `afterSeq`,
     * then what was delivered live meanwhile, then joins it to the room's groups, in one step
     * after the store answered, so nothing falls between the replay and live delivery and
     * nothing comes twice. Past `max` stored messages nothing is replayed (`resumed: false`):
     * the client pages forward with history. Call after `acquire` resolved.
     */
    async resume(roomId: string, afterSeq: number, max: number, to: ResumingSocket): Promise<{ resumed: boolean; newestSeq: number }> {
      const held: Held = { batch: to.batch, messages: [] };
      let holding = resuming.get(roomId);
      if (!holding) resuming.set(roomId, (holding = new Set()));
      holding.add(held);
      try {
        // Everything up to here was delivered before `held` was registered, so it is stored (or never
        // will be); everything after reaches `held`. The store's part stops there: a stored seq beyond it
        // may sit behind one still in flight, and in-order delivery hands it over in its turn.
        const deliveredUpTo = inOrder.delivered(roomId) ?? afterSeq;
        const stored = await storedUpTo(roomId, afterSeq, deliveredUpTo, max);
        if (!stored) {
          to.join();
          return { resumed: false, newestSeq: Math.max(deliveredUpTo, ...held.messages.map((m) => m.seq)) };
        }
        const last = stored.length > 0 ? stored[stored.length - 1]!.seq : afterSeq;
        const replay = [...stored, ...held.messages.filter((m) => m.seq > last)];
        if (replay.length > 0) to.emit(replay);
        to.join();
        return { resumed: true, newestSeq: Math.max(deliveredUpTo, replay.length > 0 ? replay[replay.length - 1]!.seq : afterSeq) };
      } finally {
        holding.delete(held);
        if (holding.size === 0) resuming.delete(roomId);
      }
    },

    /** Rooms this node has sockets in. */
    rooms: (): number => subscriptions.count(),

    /** Clears every timer. Idempotent; the bus is closed by its owner. */
    close(): void {
      membersThrottle.close();
      inOrder.close();
      batcher.close();
    },
  };
}

export type RoomDelivery = ReturnType<typeof createRoomDelivery>;
