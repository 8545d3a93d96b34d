import type { LatencySummary } from '../hist';
import type { BreakReason } from '../ramp';
import type { Scenario } from '../scenario';

export interface StepSummary {
  step: number;
  /** Messages per second per room requested. */
  rate: number;
  durationSec: number;
  sent: number;
  acked: number;
  failed: number;
  /** Deliveries seen of this step's messages (all receivers). */
  delivered: number;
  expectedDeliveries: number;
  lost: number;
  lossRatio: number;
  /** Members that missed at least one of this step's messages. */
  membersWithLoss: number;
  sendsPerSec: number;
  deliveriesPerSec: number;
  e2e: LatencySummary;
  ack: LatencySummary;
  history: LatencySummary;
  join: LatencySummary;
  churnCycles: number;
  unackedAtDrain: number;
  errors: Record<string, number>;
  generatorSaturated: boolean;
  ok: boolean;
  breaks: BreakReason[];
}

/** One member whose deliveries showed something wrong. */
export interface MemberFinding {
  /** Global client index (its nickName is lt-<runId>-<member>). */
  member: number;
  /** Room index (its name is lt-<runId>-room-<room>). */
  room: number;
  /** Its deliveries lost over the measured steps (messages sent while it was in the room that it never got). */
  lost: number;
  /** Over the whole run, in every room it was in: */
  duplicates: number;
  orderViolations: number;
  gapEvents: number;
  missingSeqs: number;
}

export interface TimelinePoint {
  /** Seconds since the first member came online. */
  t: number;
  sent: number;
  acked: number;
  delivered: number;
  errors: number;
  connected: number;
  e2eP50: number;
  e2eP99: number;
  ackP99: number;
  loopP99MaxMs: number;
  cpuMaxPct: number;
  serverRssMb?: number;
}

export interface WorkerSummary {
  worker: number;
  clients: number;
  connected: number;
  maxLoopP99Ms: number;
  maxCpuPct: number;
  saturatedSeconds: number;
  saturated: boolean;
}

export interface LoadReport {
  version: 1;
  runId: string;
  startedAt: string;
  finishedAt: string;
  scenario: Scenario;
  settings: {
    urls: string[];
    transport: 'websocket' | 'polling';
    parser: 'json' | 'msgpack';
    delivery: 'each' | 'batch';
    workers: number;
    ramp: boolean;
    p99MaxMs: number;
    lossMax: number;
    drainTimeoutMs: number;
  };
  /** The sender is one of the receivers: the server broadcasts to the whole room, sender included. */
  receivers: 'all-members-including-sender';
  connections: {
    target: number;
    connected: number;
    failed: number;
    errors: Record<string, number>;
    session: LatencySummary;
    connect: LatencySummary;
    join: LatencySummary;
  };
  steps: StepSummary[];
  /** The step the run stands for: the only one, or the ramp's last good step. */
  result: StepSummary | undefined;
  ramp?: { lastGoodRate: number | undefined; stoppedBecause: string };
  totals: {
    sent: number;
    acked: number;
    failed: number;
    expectedDeliveries: number;
    delivered: number;
    lost: number;
    lossRatio: number;
    duplicates: number;
    orderViolations: number;
    gapEvents: number;
    missingSeqs: number;
    deliveredTotal: number;
    unexpectedDisconnects: number;
    errors: Record<string, number>;
    /** The same findings per member: loss, duplicates and order are judged for each member on its own. */
    members: {
      withLoss: number;
      withDuplicates: number;
      withOrderViolations: number;
      withGaps: number;
      /** Every member with a finding, by member index (at most 1,000; `unlisted` counts the rest). */
      findings: MemberFinding[];
      unlisted: number;
    };
  };
  workers: WorkerSummary[];
  generatorSaturated: boolean;
  server?: { pid: number; rssMbPeak: number | undefined; rssMbEnd: number | undefined };
  timeline: TimelinePoint[];
  files?: { json: string; html: string };
}
