import { SeqStream, SeqTracker } from '../src/streams';

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
});
