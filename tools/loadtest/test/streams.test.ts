import { SeqStream, SeqTracker, rangesHave } from '../src/streams';

describe('SeqStream (order, duplicates, gaps)', () => {
  it('accepts a clean stream', () => {
    const s = new SeqStream();
    for (let i = 5; i <= 50; i++) expect(s.observe(i)).toBe('ok');
    expect(s.end()).toEqual({ delivered: 46, duplicates: 0, orderViolations: 0, gapEvents: 0, missing: 0 });
  });

  it('fires on a reordering input', () => {
    const s = new SeqStream();
    const got = [1, 2, 4, 3, 5, 7, 6, 8].map((x) => s.observe(x));
    expect(got).toEqual(['ok', 'ok', 'gap', 'reordered', 'ok', 'gap', 'reordered', 'ok']);
    expect(s.end()).toMatchObject({ orderViolations: 2, duplicates: 0, missing: 0 });
  });

  it('fires on a lossy input and counts the missing seqs', () => {
    const s = new SeqStream();
    for (const x of [1, 2, 3, 6, 7, 10]) s.observe(x);
    expect(s.end()).toMatchObject({ gapEvents: 2, missing: 4, orderViolations: 0 });
  });

  it('tells duplicates from late arrivals', () => {
    const s = new SeqStream();
    expect([1, 2, 2, 1, 3].map((x) => s.observe(x))).toEqual(['ok', 'ok', 'duplicate', 'duplicate', 'ok']);
    expect(s.end()).toMatchObject({ duplicates: 2, orderViolations: 0 });
  });

  it('counts a huge jump without remembering every seq', () => {
    const s = new SeqStream();
    s.observe(1);
    s.observe(1_000_002);
    expect(s.end().missing).toBe(1_000_000);
    expect(s.receivedRanges()).toEqual([1, 1, 1_000_002, 1_000_002]);
  });

  it('calls a seq below the first one seen, arriving after it, an order violation (once)', () => {
    const s = new SeqStream();
    expect([5, 6, 4, 4].map((x) => s.observe(x))).toEqual(['ok', 'ok', 'reordered', 'duplicate']);
    expect(s.end()).toMatchObject({ orderViolations: 1, duplicates: 1, missing: 0 });
    expect(s.receivedRanges()).toEqual([4, 6]);
  });
});

describe('SeqStream.receivedRanges (what a member got, for per-member loss)', () => {
  it('is one range for a clean stream and nothing before the first delivery', () => {
    const s = new SeqStream();
    expect(s.receivedRanges()).toEqual([]);
    for (let i = 3; i <= 9; i++) s.observe(i);
    expect(s.receivedRanges()).toEqual([3, 9]);
  });

  it('leaves out the holes still open and keeps the ones filled late', () => {
    const s = new SeqStream();
    for (const x of [1, 2, 5, 3, 8, 9, 9]) s.observe(x);
    const r = s.receivedRanges();
    expect(r).toEqual([1, 3, 5, 5, 8, 9]);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((x) => rangesHave(r, x))).toEqual([1, 2, 3, 5, 8, 9]);
  });
});

describe('SeqTracker', () => {
  it('keeps receivers and rooms apart and restarts a stream after leave', () => {
    const t = new SeqTracker();
    for (const x of [1, 2, 3]) t.observe('a', 'r1', x);
    for (const x of [1, 3]) t.observe('b', 'r1', x); // b lost seq 2
    t.observe('a', 'r2', 10);
    t.leave('a', 'r1');
    t.observe('a', 'r1', 9); // re-joined later: a new stream, the hole while away is not a gap
    t.observe('a', 'r1', 9); // duplicate
    expect(t.snapshot()).toMatchObject({ missing: 1, gapEvents: 1, duplicates: 1 });
    expect(t.finish()).toEqual({ delivered: 8, duplicates: 1, orderViolations: 0, gapEvents: 1, missing: 1 });
  });

  it("keeps each receiver's counts, over all its streams, for the ones with findings", () => {
    const t = new SeqTracker();
    for (const x of [1, 2, 3, 4]) t.observe('a', 'r1', x);
    for (const x of [1, 3, 2, 4]) t.observe('b', 'r1', x); // b: one order violation
    for (const x of [1, 2, 4]) t.observe('c', 'r1', x); // c: lost 3
    for (const x of [7, 7]) t.observe('c', 'r2', x); // c: and a duplicate in another room
    t.finish();
    expect(t.receiversWithFindings()).toEqual([
      { receiver: 'b', counts: { delivered: 4, duplicates: 0, orderViolations: 1, gapEvents: 1, missing: 0 } },
      { receiver: 'c', counts: { delivered: 5, duplicates: 1, orderViolations: 0, gapEvents: 1, missing: 1 } },
    ]);
  });
});
