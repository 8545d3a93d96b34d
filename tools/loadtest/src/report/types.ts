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
  };
  workers: WorkerSummary[];
  generatorSaturated: boolean;
  server?: { pid: number; rssMbPeak: number | undefined; rssMbEnd: number | undefined };
  timeline: TimelinePoint[];
  files?: { json: string; html: string };
}
