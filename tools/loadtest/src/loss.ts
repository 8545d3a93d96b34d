/**
 * Loss accounting, per member: every member that was in the room when a
 * message was sent must get it. The sender counts as a receiver (the server
 * broadcasts to the whole room, sender included), so a room of N members
 * expects N deliveries per message.
 *
 * Inputs come from all workers: the acknowledged sends (room, seq, send and
 * ack time) and the memberships (join acknowledged .. leave started), each
 * with the seqs its member received while in the room. A message counts as
 * delivered to a member only if that member's own seqs hold it: a duplicate at
 * one member never makes up for a loss at another.
 */
import { rangesHave } from './streams';
import type { SeqRanges } from './streams';

export interface SendRecord {
  roomId: string;
  seq: number;
  /** Wall-clock ms when emitted. */
  tSend: number;
  /** Wall-clock ms when the ack arrived. */
  tAck: number;
}

export interface Membership {
  roomId: string;
  /** The member (its global client index). */
  member: number;
  /** When the join was acknowledged. */
  joinedAt: number;
  /** When the leave (or disconnect) started; absent while still a member. */
  leftAt?: number;
  /** The seqs of the room this member received during the membership (see SeqStream.receivedRanges). */
  received: SeqRanges;
}

export interface LossResult {
  /** Deliveries that had to happen. */
  expected: number;
  /** Of those, deliveries that happened (the member's own seqs hold the message). */
  received: number;
  /** expected - received. */
  lost: number;
  /** lost / expected (0 when nothing was expected). */
  lossRatio: number;
  /** Messages with at least one member missing them. */
  messagesWithLoss: number;
  /** Lost deliveries per member (only members that lost any). */
  lostByMember: Map<number, number>;
}

/**
 * A member that leaves within `settleMs` after the ack may or may not get
 * the message (the broadcast and the leave race); such a message is not
 * expected for it. Without churn every membership spans the whole run, so
 * this only matters for the churn scenario.
 */
export function computeLoss(sends: readonly SendRecord[], memberships: readonly Membership[], settleMs = 1000): LossResult {
  const byRoom = new Map<string, Membership[]>();
  for (const m of memberships) {
    const list = byRoom.get(m.roomId);
    if (list) list.push(m);
    else byRoom.set(m.roomId, [m]);
  }
  let expected = 0;
  let received = 0;
  let messagesWithLoss = 0;
  const lostByMember = new Map<number, number>();
  for (const s of sends) {
    let missedBySome = false;
    for (const m of byRoom.get(s.roomId) ?? []) {
      if (m.joinedAt > s.tSend || (m.leftAt !== undefined && m.leftAt < s.tAck + settleMs)) continue;
      expected++;
      if (rangesHave(m.received, s.seq)) received++;
      else {
        missedBySome = true;
        lostByMember.set(m.member, (lostByMember.get(m.member) ?? 0) + 1);
      }
    }
    if (missedBySome) messagesWithLoss++;
  }
  const lost = expected - received;
  return { expected, received, lost, lossRatio: expected === 0 ? 0 : lost / expected, messagesWithLoss, lostByMember };
}
