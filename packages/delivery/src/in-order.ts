import type { ChatMessage } from '@chat/protocol';

export interface InOrderDeliveryOptions {
  /** Receives each contiguous run of a room's messages as one call, in seq order. */
  deliver: (roomId: string, messages: ChatMessage[]) => void;
  /** Stored messages with `afterSeq < seq <= uptoSeq`, in any order. */
  fetchRange: (roomId: string, afterSeq: number, uptoSeq: number) => Promise<ChatMessage[]>;
  /** How long a gap may stay open before it is filled from the store. Default 1000 ms. */
  gapTimeoutMs?: number;
  /** Failed fetches before the gap is skipped so the room does not stall. Default 3. */
  maxFetchAttempts?: number;
  /** A throwing `deliver`, a failed `fetchRange`. Never thrown out of a timer. */
  onError?: (err: unknown) => void;
  /**
   * Each message pushed live, as it is delivered: how long it was held waiting for a lower seq
   * (0 when it went out on arrival). What the room's total order costs in latency.
   */
  onWaited?: (waitedMs: number) => void;
  /** The clock for `onWaited`. Default Date.now. */
  now?: () => number;
}

export interface InOrderDelivery {
  /**
   * The node is subscribing to the room: its messages are held until the returned `begin` says
   * where delivery starts, normally the seq after the room's highest reserved once the subscription
   * is in place (every higher seq is published after that, so none can be missed). Lower seqs were
   * reserved before: their members read them from history. `begin()` without a seq (it could not
   * be read) starts at the lowest seq that arrived meanwhile, or the first to arrive. A later `hold`
   * or `forget` of the room makes an earlier `begin` a no-op.
   */
  hold(roomId: string): (next?: number) => void;
  /** Feeds messages from the bus; they come out of `deliver` in seq order, each once. */
  push(roomId: string, messages: readonly ChatMessage[]): void;
  /**
   * Seqs up to `highest` may have been published while this node was not listening (its
   * subscription was lost and made again): what has not arrived within the gap timeout is read
   * from the store like any gap. A no-op for a room not started yet or already past `highest`.
   */
  catchUp(roomId: string, highest: number): void;
  /**
   * The highest seq up to which the room's messages have all been delivered (or are known never
   * to be stored): later ones are still to come. Undefined while the room has not started.
   */
  delivered(roomId: string): number | undefined;
  /** Seqs that will never be stored: delivery moves past them without waiting for the gap timeout. */
  skip(roomId: string, seqs: readonly number[]): void;
  /** Drops a room's state and timer (its last local member left). */
  forget(roomId: string): void;
  /** Clears every timer and all state; later pushes are ignored. Idempotent. */
  close(): void;
}

/** What arrives for a room between `hold` and `begin`. */
interface Pending {
  messages: ChatMessage[];
  skipped: number[];
}

/** Messages one gap fill reads from the store at most; older ones in the gap are passed over. */
export const MAX_GAP_FILL = 1000;

/** A held seq that will never be stored: passed over, never delivered. */
const SKIPPED = Symbol('skipped');

interface RoomState {
  /** The next seq to deliver. */
  next: number;
  /** Seqs up to here are known to exist (`catchUp`): the gap up to it stays open even with nothing held. */
  horizon: number;
  /** Messages (or skipped seqs) above `next`, waiting for the gap below them to fill. */
  held: Map<number, ChatMessage | typeof SKIPPED>;
  /** When each pushed seq still in `held` arrived (kept only for `onWaited`). */
  arrivedAt: Map<number, number>;
  timer: NodeJS.Timeout | undefined;
  fetching: boolean;
  failedFetches: number;
}

/**
 * The per-room reorder buffer between the bus and a node's local sockets.
 *
 * Seqs are reserved before messages are stored, and stored batches of
 * different writers are published independently, so seq n+1 can reach a node
 * before seq n, and a seq may never arrive (its sender crashed after
 * reserving it). Where delivery starts is set by `hold`/`begin` when the node
 * subscribes (or by the first message seen, for a room never held); lower
 * seqs are duplicates or predate the subscription; higher ones wait. A gap
 * still open after `gapTimeoutMs` (counted from the last progress) is filled
 * from the store, and seqs the store does not have either are skipped.
 */
export function createInOrderDelivery(opts: InOrderDeliveryOptions): InOrderDelivery {
  const gapTimeoutMs = opts.gapTimeoutMs ?? 1000;
  const maxFetchAttempts = opts.maxFetchAttempts ?? 3;
  const onError = opts.onError ?? (() => {});
  const { onWaited } = opts;
  const now = opts.now ?? Date.now;
  const rooms = new Map<string, RoomState>();
  const pending = new Map<string, Pending>();
  let closed = false;

  function deliver(roomId: string, messages: ChatMessage[]): void {
    if (messages.length === 0) return;
    try {
      opts.deliver(roomId, messages);
    } catch (err) {
      onError(err);
    }
  }

  function clearTimer(state: RoomState): void {
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
  }

  /** Takes `seq` out of `held` into `out` (unless it is a skipped one), reporting how long a pushed message waited. */
  function take(state: RoomState, seq: number, m: ChatMessage | typeof SKIPPED, out: ChatMessage[]): void {
    if (m !== SKIPPED) out.push(m);
    state.held.delete(seq);
    // Only pushed messages have an arrival time; skipped seqs and messages read from the store do not.
    const arrived = state.arrivedAt.get(seq);
    if (arrived === undefined) return;
    state.arrivedAt.delete(seq);
    onWaited?.(now() - arrived);
  }

  /** Takes the contiguous run starting at `next` out of `held`, passing over skipped seqs. */
  function takeRun(state: RoomState, out: ChatMessage[]): boolean {
    const from = state.next;
    for (let m = state.held.get(state.next); m; m = state.held.get(state.next)) {
      take(state, state.next, m, out);
      state.next += 1;
    }
    return state.next > from;
  }

  /** After new arrivals: delivers the run now contiguous at `next`, if any. */
  function advance(roomId: string, state: RoomState): void {
    const out: ChatMessage[] = [];
    settle(roomId, state, out, takeRun(state, out));
  }

  /** Delivers what is contiguous and (re)arms the gap timer if something is still held. */
  function settle(roomId: string, state: RoomState, out: ChatMessage[], progressed = out.length > 0): void {
    deliver(roomId, out);
    if (rooms.get(roomId) !== state) return; // forgotten or closed inside deliver
    if (!gapOpen(state)) {
      clearTimer(state);
      state.failedFetches = 0;
      return;
    }
    if (progressed) {
      clearTimer(state);
      state.failedFetches = 0;
    }
    if (!state.timer && !state.fetching) {
      state.timer = setTimeout(() => fillGap(roomId, state), gapTimeoutMs);
    }
  }

  /** Something is missing below what is held, or below the catch-up horizon. */
  function gapOpen(state: RoomState): boolean {
    return state.held.size > 0 || state.next <= state.horizon;
  }

  function fillGap(roomId: string, state: RoomState): void {
    state.timer = undefined;
    if (closed || rooms.get(roomId) !== state || !gapOpen(state)) return;
    const upto = state.held.size > 0 ? Math.min(...state.held.keys()) - 1 : state.horizon;
    // A long outage can leave a long gap: its members get the latest part live and page back for the rest.
    const after = Math.max(state.next - 1, upto - MAX_GAP_FILL);
    state.fetching = true;
    Promise.resolve()
      .then(() => opts.fetchRange(roomId, after, upto))
      .then(
        (found) => {
          state.fetching = false;
          if (closed || rooms.get(roomId) !== state) return;
          for (const m of found) {
            if (m.seq >= state.next && m.seq <= upto && !state.held.has(m.seq)) state.held.set(m.seq, m);
          }
          skipGap(roomId, state, upto);
        },
        (err: unknown) => {
          state.fetching = false;
          onError(err);
          if (closed || rooms.get(roomId) !== state) return;
          state.failedFetches += 1;
          // The store is down: retry a few times, then let the room move on.
          if (state.failedFetches >= maxFetchAttempts) skipGap(roomId, state, upto);
          else settle(roomId, state, []);
        },
      );
  }

  /** Delivers everything up to `upto` that exists, skipping seqs that are nowhere, then what follows. */
  function skipGap(roomId: string, state: RoomState, upto: number): void {
    const out: ChatMessage[] = [];
    for (; state.next <= upto; state.next++) {
      const m = state.held.get(state.next);
      if (m) take(state, state.next, m, out);
    }
    takeRun(state, out);
    settle(roomId, state, out);
  }

  function startRoom(roomId: string, next: number): RoomState {
    const state: RoomState = { next, horizon: next - 1, held: new Map(), arrivedAt: new Map(), timer: undefined, fetching: false, failedFetches: 0 };
    rooms.set(roomId, state);
    return state;
  }

  function push(roomId: string, messages: readonly ChatMessage[]): void {
    if (closed || messages.length === 0) return;
    const waiting = pending.get(roomId);
    if (waiting) {
      waiting.messages.push(...messages);
      return;
    }
    const state = rooms.get(roomId) ?? startRoom(roomId, Math.min(...messages.map((m) => m.seq)));
    const at = onWaited ? now() : 0;
    for (const m of messages) {
      if (m.seq < state.next || state.held.has(m.seq)) continue;
      state.held.set(m.seq, m);
      if (onWaited) state.arrivedAt.set(m.seq, at);
    }
    advance(roomId, state);
  }

  function skip(roomId: string, seqs: readonly number[]): void {
    if (closed) return;
    const waiting = pending.get(roomId);
    if (waiting) {
      waiting.skipped.push(...seqs);
      return;
    }
    const state = rooms.get(roomId);
    // Before a room's first message there is no expectation to move past.
    if (!state) return;
    for (const seq of seqs) {
      if (seq >= state.next && !state.held.has(seq)) state.held.set(seq, SKIPPED);
    }
    advance(roomId, state);
  }

  function forget(roomId: string): void {
    pending.delete(roomId);
    const state = rooms.get(roomId);
    if (!state) return;
    clearTimer(state);
    rooms.delete(roomId);
  }

  return {
    hold(roomId) {
      if (closed) return () => {};
      forget(roomId);
      const waiting: Pending = { messages: [], skipped: [] };
      pending.set(roomId, waiting);
      return (next) => {
        if (closed || pending.get(roomId) !== waiting) return;
        pending.delete(roomId);
        const lowest = waiting.messages.length > 0 ? Math.min(...waiting.messages.map((m) => m.seq)) : undefined;
        const start = next ?? lowest;
        if (start === undefined) return; // the first message to arrive sets it
        startRoom(roomId, start);
        skip(roomId, waiting.skipped);
        push(roomId, waiting.messages);
      };
    },
    push,
    skip,
    delivered(roomId) {
      const state = rooms.get(roomId);
      return state ? state.next - 1 : undefined;
    },
    catchUp(roomId, highest) {
      const state = rooms.get(roomId);
      if (closed || !state || highest < state.next || highest <= state.horizon) return;
      state.horizon = highest;
      settle(roomId, state, []);
    },
    forget,
    close() {
      if (closed) return;
      closed = true;
      for (const state of rooms.values()) clearTimer(state);
      rooms.clear();
      pending.clear();
    },
  };
}
