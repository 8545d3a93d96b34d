import { RoomTimeline } from '../src';
import type { ChatMessage } from '@chat/protocol';

const ROOM = 'room_' + '0'.repeat(32);
const msg = (seq: number): ChatMessage => ({
  id: `m${seq}`,
  roomId: ROOM,
  seq,
  userId: 'user_' + '1'.repeat(32),
  nickName: 'ada',
  content: `#${seq}`,
  sentAt: new Date(0).toISOString(),
  kind: 'user',
});
const msgs = (...seqs: number[]) => seqs.map(msg);

function timeline(afterSeq?: number, gapWaitMs = 1000) {
  let now = 1_000_000;
  const out: number[] = [];
  const t = new RoomTimeline((m) => out.push(m.seq), { gapWaitMs, now: () => now }, afterSeq);
  return {
    t,
    out,
    advance: (ms: number) => (now += ms),
    get now() {
      return now;
    },
  };
}

describe('order and duplicates', () => {
  test('contiguous messages are handed on at once, in order', () => {
    const { t, out } = timeline(0);
    t.receive(msgs(1, 2, 3));
    expect(out).toEqual([1, 2, 3]);
    expect(t.lastSeq).toBe(3);
    expect(t.nextCheckAt()).toBeUndefined();
  });

  test('out-of-order messages are held until the ones before them arrive', () => {
    const { t, out } = timeline(0);
    t.receive(msgs(2, 4));
    expect(out).toEqual([]);
    t.receive(msgs(1));
    expect(out).toEqual([1, 2]);
    t.receive(msgs(3));
    expect(out).toEqual([1, 2, 3, 4]);
  });

  test('duplicates (already handed on, or already held) are dropped and counted', () => {
    const { t, out } = timeline(0);
    t.receive(msgs(1, 2, 2, 1));
    t.receive(msgs(4, 4));
    t.receive(msgs(2, 3));
    expect(out).toEqual([1, 2, 3, 4]);
    expect(t.stats.duplicates).toBe(4);
    expect(t.stats.delivered).toBe(4);
  });

  test('a resume point: only messages above afterSeq are handed on', () => {
    const { t, out } = timeline(10);
    t.receive(msgs(9, 10, 11, 12));
    expect(out).toEqual([11, 12]);
  });
});

describe('gap detection', () => {
  test('a gap asks for a history read gapWaitMs after the later seq arrived', () => {
    const g = timeline(0);
    g.t.receive(msgs(1));
    g.t.receive(msgs(3));
    expect(g.out).toEqual([1]);
    expect(g.t.nextCheckAt()).toBe(g.now + 1000);
    g.advance(300);
    g.t.receive(msgs(4));
    // The gap is known since 3 arrived, not since 4 did.
    expect(g.t.nextCheckAt()).toBe(g.now - 300 + 1000);
  });

  test('a seq history has is handed on in its place', () => {
    const g = timeline(0);
    g.t.receive(msgs(1, 3));
    g.advance(1000);
    g.t.fill(1, msgs(2, 3), g.now);
    expect(g.out).toEqual([1, 2, 3]);
    expect(g.t.stats.skipped).toBe(0);
    expect(g.t.stats.duplicates).toBe(1);
  });

  test('a seq missing from history read after the wait is skipped (a refused send)', () => {
    const g = timeline(0);
    g.t.receive(msgs(1, 3, 4));
    g.advance(1000);
    g.t.fill(1, msgs(3, 4), g.now);
    expect(g.out).toEqual([1, 3, 4]);
    expect(g.t.stats.skipped).toBe(1);
    expect(g.t.nextCheckAt()).toBeUndefined();
  });

  test('a seq missing from a read that began too early is waited for, not skipped (its send may still be committing)', () => {
    const g = timeline(0);
    g.t.receive(msgs(1, 3));
    g.advance(200);
    g.t.fill(1, msgs(3), g.now);
    expect(g.out).toEqual([1]);
    expect(g.t.stats.skipped).toBe(0);
    // It arrives live after all.
    g.t.receive(msgs(2));
    expect(g.out).toEqual([1, 2, 3]);
  });

  test('catching up with a page: its inner holes are decided only by a later read', () => {
    const g = timeline(5);
    // A reconnect without server resume: page forward from 5. Seq 8 is missing from the page.
    g.t.fill(5, msgs(6, 7, 9, 10), g.now);
    expect(g.out).toEqual([6, 7]);
    const at = g.t.nextCheckAt();
    expect(at).toBe(g.now + 1000);
    g.advance(1000);
    g.t.fill(7, msgs(9, 10), g.now);
    expect(g.out).toEqual([6, 7, 9, 10]);
    expect(g.t.stats.skipped).toBe(1);
  });

  test('several holes are skipped in one read once each was known long enough', () => {
    const g = timeline(0);
    g.t.receive(msgs(2, 4, 6));
    g.advance(1500);
    g.t.fill(0, msgs(2, 4, 6), g.now);
    expect(g.out).toEqual([2, 4, 6]);
    expect(g.t.stats.skipped).toBe(3);
  });

  test('seqs beyond the page are not decided by it', () => {
    const g = timeline(0);
    g.t.receive(msgs(1));
    g.advance(10);
    g.t.receive(msgs(5));
    g.advance(2000);
    // The page ends at 3 (a page limit, or 5 was stored after the read began): 4 stays undecided.
    g.t.fill(1, msgs(3), g.now - 10);
    expect(g.out).toEqual([1, 3]);
    expect(g.t.lastSeq).toBe(3);
    expect(g.t.heldCount).toBe(1);
  });

  test('an empty page decides nothing', () => {
    const g = timeline(0);
    g.t.receive(msgs(3));
    g.advance(5000);
    g.t.fill(0, [], g.now);
    expect(g.out).toEqual([]);
    expect(g.t.lastSeq).toBe(0);
  });
});

describe('a fresh join', () => {
  test('before start everything is held; start hands on what is above the starting point', () => {
    const g = timeline();
    g.t.receive(msgs(11));
    expect(g.out).toEqual([]);
    expect(g.t.started).toBe(false);
    g.t.start(10, msgs(9, 10));
    expect(g.out).toEqual([11]);
  });

  test('recent messages from the newest page come first', () => {
    const g = timeline();
    g.t.start(7, msgs(6, 7, 8, 9, 10));
    expect(g.out).toEqual([8, 9, 10]);
  });

  test('a live message below the newest stored one moves the start down: none is left out', () => {
    const g = timeline();
    // Joined; 5 and 6 arrived live before the history read answered with its newest, 7 (not yet delivered live).
    g.t.receive(msgs(5, 6));
    g.t.start(7, msgs(7));
    expect(g.out).toEqual([5, 6, 7]);
    g.t.receive(msgs(7, 8));
    expect(g.out).toEqual([5, 6, 7, 8]);
  });

  test('start on a timeline that has a starting point changes nothing', () => {
    const g = timeline(3);
    g.t.start(10);
    expect(g.t.lastSeq).toBe(3);
  });
});
