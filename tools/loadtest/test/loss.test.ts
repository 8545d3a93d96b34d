import { computeLoss } from '../src/loss';
import type { Membership, SendRecord } from '../src/loss';
import { SeqStream } from '../src/streams';

const room = 'room-1';
const sends = (n: number): SendRecord[] => Array.from({ length: n }, (_, i) => ({ roomId: room, seq: i + 1, tSend: 100 + i, tAck: 105 + i }));
/** What a member's stream makes of these deliveries, as the worker ships it. */
const got = (...seqs: number[]) => {
  const s = new SeqStream();
  seqs.forEach((x) => s.observe(x));
  return s.receivedRanges();
};
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const member = (index: number, received: number[], extra: Partial<Membership> = {}): Membership => ({
  roomId: room,
  member: index,
  joinedAt: 0,
  received,
  ...extra,
});

describe('computeLoss (per member)', () => {
  it('finds nothing lost when every member got every message', () => {
    const all = got(...range(1, 10));
    expect(computeLoss(sends(10), [member(0, all), member(1, all), member(2, all)])).toEqual({
      expected: 30,
      received: 30,
      lost: 0,
      lossRatio: 0,
      messagesWithLoss: 0,
      lostByMember: new Map(),
    });
  });

  it('fires on a deliberately lossy delivery stream, and says whose', () => {
    // 3 members; message 4 reached only member 0, message 7 reached nobody.
    const r = computeLoss(sends(10), [
      member(0, got(...range(1, 6), 8, 9, 10)),
      member(1, got(1, 2, 3, 5, 6, 8, 9, 10)),
      member(2, got(1, 2, 3, 5, 6, 8, 9, 10)),
    ]);
    expect(r).toMatchObject({ expected: 30, received: 25, lost: 5, messagesWithLoss: 2 });
    expect(r.lossRatio).toBeCloseTo(5 / 30);
    expect(r.lostByMember).toEqual(
      new Map([
        [0, 1],
        [1, 2],
        [2, 2],
      ]),
    );
  });

  it('a duplicate at one member does not make up for a loss at another', () => {
    // Three deliveries of seq 2 in the room, but member 1 never got it: member 0 got it twice.
    const r = computeLoss(sends(3), [member(0, got(1, 2, 2, 3)), member(1, got(1, 3)), member(2, got(1, 2, 3))]);
    expect(r).toMatchObject({ expected: 9, received: 8, lost: 1, messagesWithLoss: 1 });
    expect(r.lostByMember).toEqual(new Map([[1, 1]]));
  });

  it('counts a message lost at the end of a stream (nothing after it to open a gap)', () => {
    const r = computeLoss(sends(5), [member(0, got(1, 2, 3, 4, 5)), member(1, got(1, 2, 3, 4))]);
    expect(r.lostByMember).toEqual(new Map([[1, 1]]));
  });

  it('a late delivery that filled its hole counts as received', () => {
    const r = computeLoss(sends(5), [member(0, got(1, 3, 2, 5, 4))]);
    expect(r).toMatchObject({ expected: 5, lost: 0 });
  });

  it('does not expect deliveries to members who joined after the send or left around it', () => {
    const none: number[] = [];
    const m: Membership[] = [
      member(0, got(1)),
      member(1, none, { joinedAt: 200 }), // joined after every send
      member(2, none, { leftAt: 106 }), // left right after the first ack: races, not expected
      { roomId: 'other', member: 3, joinedAt: 0, received: none },
    ];
    expect(computeLoss(sends(1), m, 500)).toMatchObject({ expected: 1, lost: 0 });
  });
});
