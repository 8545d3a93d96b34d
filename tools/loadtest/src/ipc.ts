import type { ClientSpec } from './plan';

/** Messages between the coordinator and a load worker (process IPC or in-process). */

export interface WorkerConfig {
  worker: number;
  runId: string;
  transport: 'websocket' | 'polling';
  parser: 'json' | 'msgpack';
  delivery: 'each' | 'batch';
  /** `spread` (default): each room's sends at its own phase of the period; `aligned`: every room at the same instants (bursts). */
  sendPhases: 'spread' | 'aligned';
  messageBytes: number;
  /** Talkers per room over all workers (for the local share of the rate). */
  talkersPerRoom: number;
  membersPerRoom: number;
  churnIntervalMs: number;
  historyRatePerRoom: number;
  historyLimit: number;
  connectConcurrency: number;
  connectTimeoutMs: number;
  ackTimeoutMs: number;
  /** Bound on waiting for acks / deliveries after a step. */
  drainTimeoutMs: number;
  /** A step's deliveries are complete after this long without one. */
  quietMs: number;
  /** Saturation thresholds. */
  loopP99MaxMs: number;
  cpuMaxPct: number;
}

export type ToWorker =
  | { type: 'init'; config: WorkerConfig; clients: ClientSpec[] }
  | { type: 'step'; step: number; ratePerRoom: number; durationMs: number }
  | { type: 'collect'; step: number }
  | { type: 'close' };

/** [roomId, seq, tSend, tAck] */
export type SendTuple = [string, number, number, number];
/** [roomId, member (global client index), joinedAt, leftAt | null, the seqs it received (SeqRanges)] */
export type MembershipTuple = [string, number, number, number | null, number[]];
/** A member whose deliveries showed something wrong: [member, duplicates, orderViolations, gapEvents, missing] */
export type MemberCountsTuple = [number, number, number, number, number];

export interface ReadyReport {
  worker: number;
  /** room index -> server room id */
  roomIds: Record<number, string>;
  clients: number;
  connected: number;
  failed: number;
  errors: Record<string, number>;
  session: string;
  connect: string;
  join: string;
}

export interface TickSample {
  worker: number;
  /** Wall-clock ms at the end of the sampled second. */
  at: number;
  sent: number;
  acked: number;
  delivered: number;
  errors: number;
  connected: number;
  inflight: number;
  e2e: string;
  ack: string;
  loopP99Ms: number;
  cpuPct: number;
  saturated: boolean;
}

export interface StepReport {
  worker: number;
  step: number;
  sent: number;
  acked: number;
  /** Sends that got an error or no ack. */
  failed: number;
  errors: Record<string, number>;
  /** Deliveries of this step's messages (any receiver). */
  delivered: number;
  sends: SendTuple[];
  /** Every membership so far, with what its member received: loss is judged per member. */
  memberships: MembershipTuple[];
  e2e: string;
  ack: string;
  history: string;
  historyOk: number;
  join: string;
  churnCycles: number;
  /** Acks still missing when the drain timeout hit. */
  unackedAtDrain: number;
  maxLoopP99Ms: number;
  maxCpuPct: number;
  saturatedTicks: number;
}

export interface FinalReport {
  worker: number;
  duplicates: number;
  orderViolations: number;
  gapEvents: number;
  missing: number;
  /** Per member, over all its memberships: only members with duplicates, order violations or gaps. */
  members: MemberCountsTuple[];
  deliveredTotal: number;
  unexpectedDisconnects: number;
  errors: Record<string, number>;
}

export type FromWorker =
  | { type: 'ready'; report: ReadyReport }
  | { type: 'tick'; sample: TickSample }
  | { type: 'acksDrained'; step: number }
  | { type: 'stepReport'; report: StepReport }
  | { type: 'closed'; report: FinalReport }
  | { type: 'fatal'; message: string };
