import { computeLoss, receptionKey } from '../src/loss';
import type { Membership, SendRecord } from '../src/loss';

const room = 'room-1';
const members = (n: number, joinedAt = 0): Membership[] => Array.from({ length: n }, () => ({ roomId: room, joinedAt }));
const sends = (n: number): SendRecord[] => Array.from({ length: n }, (_, i) => ({ roomId: room, seq: i + 1, tSend: 100 + i, tAck: 105 + i }));

describe('computeLoss', () => {
  it('finds nothing lost when every member got every message', () => {
    const rx = new Map(sends(10).map((s) => [receptionKey(room, s.seq), 3]));
    expect(computeLoss(sends(10), rx, members(3))).toEqual({ expected: 30, received: 30, lost: 0, lossRatio: 0, messagesWithLoss: 0 });
  });

  it('fires on a deliberately lossy delivery stream', () => {
    // 3 members; message 4 reached only one, message 7 reached nobody
    const rx = new Map<string, number>();
    for (const s of sends(10)) rx.set(receptionKey(room, s.seq), s.seq === 4 ? 1 : 3);
    rx.delete(receptionKey(room, 7));
    const r = computeLoss(sends(10), rx, members(3));
    expect(r).toMatchObject({ expected: 30, received: 25, lost: 5, messagesWithLoss: 2 });
    expect(r.lossRatio).toBeCloseTo(5 / 30);
  });

  it('does not expect deliveries to members who joined after the send or left around it', () => {
    const m: Membership[] = [
      { roomId: room, joinedAt: 0 },
      { roomId: room, joinedAt: 200 }, // joined after every send
      { roomId: room, joinedAt: 0, leftAt: 106 }, // left right after the first ack: races, not expected
      { roomId: 'other', joinedAt: 0 },
    ];
    const s = sends(1);
    const rx = new Map([[receptionKey(room, 1), 1]]);
    expect(computeLoss(s, rx, m, 500)).toMatchObject({ expected: 1, lost: 0 });
  });

  it('never counts surplus receptions against loss elsewhere', () => {
    const s = sends(2);
    const rx = new Map([
      [receptionKey(room, 1), 5],
      [receptionKey(room, 2), 0],
    ]);
    expect(computeLoss(s, rx, members(2))).toMatchObject({ expected: 4, received: 2, lost: 2 });
  });
});
