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

export class SeqStream {
  private last: number | undefined;
  private readonly holes = new Set<number>();
  private untrackedMissing = 0;
  readonly counts: StreamCounts = { delivered: 0, duplicates: 0, orderViolations: 0, gapEvents: 0, missing: 0 };

  /** Classifies one delivery. */
  observe(seq: number): 'ok' | 'duplicate' | 'reordered' | 'gap' {
    const c = this.counts;
    c.delivered++;
    if (this.last === undefined) {
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
      else this.untrackedMissing += hole;
      this.last = seq;
      return 'gap';
    }
    // seq <= last: either a late arrival filling a hole, or a repeat.
    if (this.holes.delete(seq)) {
      c.orderViolations++;
      return 'reordered';
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

/**
 * All streams of one worker: key = receiver id + room. `leave` ends the
 * stream and banks its counts; `finish` ends every open stream.
 */
export class SeqTracker {
  private readonly open = new Map<string, SeqStream>();
  private readonly banked = emptyCounts();

  observe(receiver: string, roomId: string, seq: number): ReturnType<SeqStream['observe']> {
    return this.stream(receiver, roomId).observe(seq);
  }

  /** The receiver's open stream of the room (new after a `leave`); callers may keep it until they `leave`. */
  stream(receiver: string, roomId: string): SeqStream {
    const key = `${receiver}\u0000${roomId}`;
    let s = this.open.get(key);
    if (!s) {
      s = new SeqStream();
      this.open.set(key, s);
    }
    return s;
  }

  leave(receiver: string, roomId: string): void {
    const key = `${receiver}\u0000${roomId}`;
    const s = this.open.get(key);
    if (!s) return;
    this.open.delete(key);
    addCounts(this.banked, s.end());
  }

  /** Totals so far; open streams count their current holes as missing. */
  snapshot(): StreamCounts {
    const total = addCounts(emptyCounts(), this.banked);
    for (const s of this.open.values()) {
      addCounts(total, { ...s.counts, missing: s.openHoles });
    }
    return total;
  }

  finish(): StreamCounts {
    for (const key of [...this.open.keys()]) {
      const s = this.open.get(key);
      this.open.delete(key);
      if (s) addCounts(this.banked, s.end());
    }
    return addCounts(emptyCounts(), this.banked);
  }
}
