/**
 * Loss accounting: every receiver that was in the room when a message was
 * sent must get it. The sender counts as a receiver (the server broadcasts to
 * the whole room, sender included), so a room of N members expects N
 * deliveries per message.
 *
 * Inputs come from all workers: the acknowledged sends (room, seq, send and
 * ack time), the memberships (join acknowledged .. leave started) and, per
 * (room, seq), how many receivers that had joined before the send got it.
 */
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
  /** When the join was acknowledged. */
  joinedAt: number;
  /** When the leave (or disconnect) started; absent while still a member. */
  leftAt?: number;
}

export interface LossResult {
  /** Deliveries that had to happen. */
  expected: number;
  /** Deliveries seen of those messages (by receivers that had joined before the send). */
  received: number;
  /** expected - received, per message, never below zero. */
  lost: number;
  /** lost / expected (0 when nothing was expected). */
  lossRatio: number;
  /** Messages with at least one missing delivery. */
  messagesWithLoss: number;
}

export const receptionKey = (roomId: string, seq: number): string => `${roomId}|${seq}`;

/**
 * A receiver that leaves within `settleMs` after the ack may or may not get
 * the message (the broadcast and the leave race); such a message is not
 * expected for it. Without churn every membership spans the whole run, so
 * this only matters for the churn scenario.
 */
export function computeLoss(
  sends: readonly SendRecord[],
  receptions: ReadonlyMap<string, number>,
  memberships: readonly Membership[],
  settleMs = 1000,
): LossResult {
  const byRoom = new Map<string, Membership[]>();
  for (const m of memberships) {
    const list = byRoom.get(m.roomId);
    if (list) list.push(m);
    else byRoom.set(m.roomId, [m]);
  }
  let expected = 0;
  let received = 0;
  let lost = 0;
  let messagesWithLoss = 0;
  for (const s of sends) {
    let exp = 0;
    for (const m of byRoom.get(s.roomId) ?? []) {
      if (m.joinedAt <= s.tSend && (m.leftAt === undefined || m.leftAt >= s.tAck + settleMs)) exp++;
    }
    const got = Math.min(receptions.get(receptionKey(s.roomId, s.seq)) ?? 0, exp);
    expected += exp;
    received += got;
    if (got < exp) {
      lost += exp - got;
      messagesWithLoss++;
    }
  }
  return { expected, received, lost, lossRatio: expected === 0 ? 0 : lost / expected, messagesWithLoss };
}
