/**
 * Per-receiver, per-room sequence checking. The server numbers every stored
 * message of a room (seq grows by one), and delivers each room in seq order,
 * so a receiver that stays in a room must see 1, 2, 3, ... without holes.
 *
 * One `SeqStream` covers one continuous membership (a leave ends it, a re-join
 * starts a new one: the holes while away are expected). It keeps only the set
 * of missing seqs, so memory grows with holes, not with traffic.
 */
export interface StreamCounts {
  /** Deliveries seen. */
  delivered: number;
  /** Same seq seen again. */
  duplicates: number;
  /** A seq lower than one already seen arrived (it filled a hole): delivered out of order. */
  orderViolations: number;
  /** Number of times the seq jumped forward by more than one. */
  gapEvents: number;
  /** Seqs that were skipped and never arrived (counted when the stream ends). */
  missing: number;
}

/** Larger jumps are counted but their seqs are not remembered one by one. */
const MAX_TRACKED_HOLE = 10_000;

/**
 * What one receiver got of one room: inclusive [lo, hi] ranges of seqs, sorted
 * and disjoint, flattened as lo0, hi0, lo1, hi1, ... (cheap to ship between
 * processes). A receiver that loses nothing has one range.
 */
export type SeqRanges = number[];

/** Whether `seq` is in `ranges` (binary search). */
export function rangesHave(ranges: SeqRanges, seq: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (seq < ranges[2 * mid]!) hi = mid - 1;
    else if (seq > ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

export class SeqStream {
  private first: number | undefined;
  private last: number | undefined;
  private readonly holes = new Set<number>();
  /** Jumps too long to remember seq by seq, as [lo, hi] of the seqs skipped. */
  private readonly untracked: Array<[number, number]> = [];
  private untrackedMissing = 0;
  /** Seqs below the first one seen that arrived after it (late, out of order); rare. */
  private early: Set<number> | undefined;
  readonly counts: StreamCounts = { delivered: 0, duplicates: 0, orderViolations: 0, gapEvents: 0, missing: 0 };

  /** Classifies one delivery. O(1) for the next seq in order, the common case. */
  observe(seq: number): 'ok' | 'duplicate' | 'reordered' | 'gap' {
    const c = this.counts;
    c.delivered++;
    if (this.last === undefined) {
      this.first = seq;
      this.last = seq;
      return 'ok';
    }
    if (seq === this.last + 1) {
      this.last = seq;
      return 'ok';
    }
    if (seq > this.last + 1) {
      const hole = seq - this.last - 1;
      c.gapEvents++;
      if (hole <= MAX_TRACKED_HOLE) for (let s = this.last + 1; s < seq; s++) this.holes.add(s);
      else {
        this.untracked.push([this.last + 1, seq - 1]);
        this.untrackedMissing += hole;
      }
      this.last = seq;
      return 'gap';
    }
    // seq <= last: a late arrival filling a hole (or below the first seq seen), or a repeat.
    if (this.holes.delete(seq)) {
      c.orderViolations++;
      return 'reordered';
    }
    if (seq < this.first!) {
      this.early ??= new Set();
      if (!this.early.has(seq)) {
        this.early.add(seq);
        c.orderViolations++;
        return 'reordered';
      }
    }
    c.duplicates++;
    return 'duplicate';
  }

  /** Holes still open now (a hole filled later turns into an order violation). */
  get openHoles(): number {
    return this.holes.size + this.untrackedMissing;
  }

  /** Freezes `missing`; call once when the membership ends or the run stops. */
  end(): StreamCounts {
    this.counts.missing = this.openHoles;
    return this.counts;
  }

  /**
   * Every seq received so far, as ranges: from the first seq seen to the last, minus the
   * holes still open, plus late arrivals below the first. Costs O(holes log holes), once per
   * collection, never per delivery.
   */
  receivedRanges(): SeqRanges {
    if (this.first === undefined || this.last === undefined) return [];
    const out: SeqRanges = [];
    const push = (lo: number, hi: number) => {
      const n = out.length;
      if (n > 0 && out[n - 1]! + 1 >= lo) out[n - 1] = Math.max(out[n - 1]!, hi);
      else out.push(lo, hi);
    };
    if (this.early) for (const seq of [...this.early].sort((a, b) => a - b)) push(seq, seq);
    const missing: Array<[number, number]> = [...this.untracked];
    for (const seq of this.holes) missing.push([seq, seq]);
    missing.sort((a, b) => a[0] - b[0]);
    let from = this.first;
    for (const [lo, hi] of missing) {
      if (lo > from) push(from, lo - 1);
      from = Math.max(from, hi + 1);
    }
    if (from <= this.last) push(from, this.last);
    return out;
  }
}

export function emptyCounts(): StreamCounts {
  return { delivered: 0, duplicates: 0, orderViolations: 0, gapEvents: 0, missing: 0 };
}

export function addCounts(into: StreamCounts, c: StreamCounts): StreamCounts {
  into.delivered += c.delivered;
  into.duplicates += c.duplicates;
  into.orderViolations += c.orderViolations;
  into.gapEvents += c.gapEvents;
  into.missing += c.missing;
  return into;
}

/** One receiver's counts over all its streams (every membership of every room). */
export interface ReceiverCounts {
  receiver: string;
  counts: StreamCounts;
}

/** Whether a receiver's counts show anything wrong (duplicates, order, holes). */
export function hasFindings(c: StreamCounts): boolean {
  return c.duplicates > 0 || c.orderViolations > 0 || c.gapEvents > 0 || c.missing > 0;
}

/**
 * All streams of one worker: key = receiver id + room. `leave` ends the
 * stream and banks its counts, in the worker's totals and the receiver's own;
 * `finish` ends every open stream.
 */
export class SeqTracker {
  private readonly open = new Map<string, { receiver: string; stream: SeqStream }>();
  private readonly banked = emptyCounts();
  private readonly byReceiver = new Map<string, StreamCounts>();

  observe(receiver: string, roomId: string, seq: number): ReturnType<SeqStream['observe']> {
    return this.stream(receiver, roomId).observe(seq);
  }

  /** The receiver's open stream of the room (new after a `leave`); callers may keep it until they `leave`. */
  stream(receiver: string, roomId: string): SeqStream {
    const key = `${receiver}\u0000${roomId}`;
    let s = this.open.get(key);
    if (!s) {
      s = { receiver, stream: new SeqStream() };
      this.open.set(key, s);
    }
    return s.stream;
  }

  leave(receiver: string, roomId: string): void {
    const key = `${receiver}\u0000${roomId}`;
    const s = this.open.get(key);
    if (!s) return;
    this.open.delete(key);
    this.bank(receiver, s.stream.end());
  }

  private bank(receiver: string, counts: StreamCounts): void {
    addCounts(this.banked, counts);
    let mine = this.byReceiver.get(receiver);
    if (!mine) this.byReceiver.set(receiver, (mine = emptyCounts()));
    addCounts(mine, counts);
  }

  /** Totals so far; open streams count their current holes as missing. */
  snapshot(): StreamCounts {
    const total = addCounts(emptyCounts(), this.banked);
    for (const s of this.open.values()) {
      addCounts(total, { ...s.stream.counts, missing: s.stream.openHoles });
    }
    return total;
  }

  finish(): StreamCounts {
    for (const [key, s] of [...this.open]) {
      this.open.delete(key);
      this.bank(s.receiver, s.stream.end());
    }
    return addCounts(emptyCounts(), this.banked);
  }

  /** After `finish`: each receiver with something wrong in any of its streams, and its counts. */
  receiversWithFindings(): ReceiverCounts[] {
    return [...this.byReceiver].filter(([, c]) => hasFindings(c)).map(([receiver, counts]) => ({ receiver, counts: { ...counts } }));
  }
}
