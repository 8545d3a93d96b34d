import type { ChatMessage } from '@chat/protocol';

export interface TimelineOptions {
  /**
   * How long a missing seq is waited for, from the moment a later one is
   * known, before a history read may call it never stored (a refused send)
   * and skip it. The server itself waits GAP_TIMEOUT_MS (1 s) for a missing
   * seq before it delivers later ones, so a live gap is usually decided
   * already; the wait protects pages read while a send is still committing.
   */
  gapWaitMs: number;
  now?: () => number;
}

export interface TimelineStats {
  delivered: number;
  /** Messages dropped because their seq was delivered already (or is held). */
  duplicates: number;
  /** Seqs found missing from history after the wait: never stored, passed over. */
  skipped: number;
}

interface Held {
  message: ChatMessage;
  /** When this message became known: a seq below it is missing since then. */
  at: number;
}

/**
 * One room's messages, handed on one at a time in seq order, each once.
 *
 * `lastSeq` is the newest seq handed on (or passed over); messages above
 * `lastSeq + 1` are held until the ones before them arrive or are known never
 * to have been stored. Pure: no timers and no I/O. The client asks
 * `nextCheckAt()` when to read history for a gap and feeds the page to `fill`.
 */
export class RoomTimeline {
  private last: number | undefined;
  private readonly held = new Map<number, Held>();
  private readonly now: () => number;
  readonly stats: TimelineStats = { delivered: 0, duplicates: 0, skipped: 0 };

  constructor(
    private readonly deliver: (message: ChatMessage) => void,
    private readonly opts: TimelineOptions,
    /** Resume from here: messages above it are delivered. Unset: `start` sets it after the join. */
    afterSeq?: number,
  ) {
    this.last = afterSeq;
    this.now = opts.now ?? Date.now;
  }

  /** The newest seq delivered or passed over; undefined until the room's starting point is known. */
  get lastSeq(): number | undefined {
    return this.last;
  }

  get started(): boolean {
    return this.last !== undefined;
  }

  /** Messages waiting for an earlier seq. */
  get heldCount(): number {
    return this.held.size;
  }

  /**
   * Messages as the server sends them (live or replayed), in any order:
   * duplicates are dropped, the rest delivered in seq order as far as they
   * are contiguous, and held beyond a gap. Before `start` everything is held.
   */
  receive(messages: readonly ChatMessage[]): void {
    const at = this.now();
    for (const m of messages) this.hold(m, at);
    this.drain();
  }

  /**
   * The starting point of a fresh join: messages above `afterSeq` are
   * delivered (`recent`, a page of the newest stored ones, may supply
   * them). A live message that arrived before this and lies at or below
   * `afterSeq` moves the start down to it: the server sends every message
   * from the join on, so nothing between it and `afterSeq` is left out.
   */
  start(afterSeq: number, recent: readonly ChatMessage[] = []): void {
    if (this.last !== undefined) return;
    let base = afterSeq;
    for (const seq of this.held.keys()) base = Math.min(base, seq - 1);
    this.last = base;
    // The page and the live messages overlap where they meet: not duplicates the server sent.
    this.receive(recent.filter((m) => m.seq > base && !this.held.has(m.seq)));
  }

  /**
   * A forward history page, read with `after: from` starting at `readStartedAt`:
   * every message stored then with seq in (from, last seq of the page]. A seq in
   * that range missing from the page was not stored when the read began; it is
   * passed over when a later seq had been known for `gapWaitMs` by then (a
   * refused send), and otherwise waited for (a send still committing).
   */
  fill(from: number, page: readonly ChatMessage[], readStartedAt: number): void {
    if (this.last === undefined) return;
    const arrived = this.now();
    for (const m of page) this.hold(m, arrived);
    const coveredTo = page.length > 0 ? Math.max(from, page[page.length - 1]!.seq) : from;
    while (this.last < coveredTo) {
      const next: number = this.last + 1;
      const held = this.held.get(next);
      if (held) {
        this.hand(held.message);
        continue;
      }
      const since = this.missingSince(next);
      if (since === undefined || readStartedAt - since < this.opts.gapWaitMs) break;
      this.last = next;
      this.stats.skipped++;
    }
    this.drain();
  }

  /**
   * When a history read could decide the gap at `lastSeq + 1`, or undefined
   * when there is none: `gapWaitMs` after a later seq became known.
   */
  nextCheckAt(): number | undefined {
    if (this.last === undefined || this.held.size === 0) return undefined;
    const since = this.missingSince(this.last + 1);
    return since === undefined ? undefined : since + this.opts.gapWaitMs;
  }

  /** Since when `seq` is known to be missing: the earliest arrival of a held message above it. */
  private missingSince(seq: number): number | undefined {
    let since: number | undefined;
    for (const [s, h] of this.held) if (s > seq && (since === undefined || h.at < since)) since = h.at;
    return since;
  }

  private hold(m: ChatMessage, at: number): void {
    if ((this.last !== undefined && m.seq <= this.last) || this.held.has(m.seq)) {
      this.stats.duplicates++;
      return;
    }
    this.held.set(m.seq, { message: m, at });
  }

  private drain(): void {
    if (this.last === undefined) return;
    for (let next = this.held.get(this.last + 1); next; next = this.held.get(this.last + 1)) this.hand(next.message);
  }

  private hand(m: ChatMessage): void {
    this.held.delete(m.seq);
    this.last = m.seq;
    this.stats.delivered++;
    this.deliver(m);
  }
}
