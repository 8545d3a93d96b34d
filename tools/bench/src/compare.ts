import path from 'node:path';
import { formatProgress, runLoad } from '@chat/loadtest';
import type { LoadReport } from '@chat/loadtest';
import { cpuSeconds, startDeployment } from './deployment';
import type { Deployment } from './deployment';
import { busyShare, machineTicks } from './proc';
import type { MachineTicks } from './proc';
import { fmt, int, machine, table, writeSection } from './markdown';
import { REPORT_DIR, SHAPE, WARM_UP, warmUp } from './sustained';

/** The steps of the comparison, in messages per second per room (x 10 rooms x 20 receivers = deliveries/s). */
export const COMPARE_STEPS = [
  { name: 'light', ratePerRoom: 60 },
  { name: 'medium', ratePerRoom: 120 },
  { name: 'target', ratePerRoom: 240 },
] as const;
const STEP_SEC = 10;
const WARMUP_SEC = 3;

/** The reference: the server users would otherwise write (tools/bench/src/reference), run by the same launcher behind the same HAProxy. */
const REFERENCE_ENTRY = ['--import', 'tsx', path.join('tools', 'bench', 'src', 'reference', 'main.ts')];

interface StepResult {
  name: string;
  ratePerRoom: number;
  deliveriesPerSec: number;
  e2eP50: number;
  e2eP99: number;
  ackP99: number;
  lost: number;
  orderViolations: number;
  duplicates: number;
  /** CPU seconds of the server's Node processes per 1,000 deliveries, over the measured window. */
  nodeCpuPer1k: number;
  /** The whole machine's busy share over the measured window (0 to 1). */
  machineBusy: number;
}

interface CpuReading {
  nodeCpu: number;
  machine: MachineTicks;
  at: number;
}

/**
 * The server's CPU over a step's measured window, read when the load generator enters and leaves it:
 * its Node processes together, and the whole machine (generator, HAProxy, MariaDB and Redis included).
 */
function cpuWindow(d: Deployment) {
  const read = (): CpuReading => ({ nodeCpu: d.cluster.nodes.reduce((n, node) => n + cpuSeconds(node.pid), 0), machine: machineTicks(), at: Date.now() });
  let start: CpuReading | undefined;
  let end: CpuReading | undefined;
  return {
    onPhase(phase: string): void {
      if (phase === 'measuring') start ??= read();
      else if (start && !end) end = read();
    },
    result(deliveriesPerSec: number): { nodeCpuPer1k: number; machineBusy: number } {
      if (!start || !end) return { nodeCpuPer1k: NaN, machineBusy: NaN };
      const deliveries = (deliveriesPerSec * (end.at - start.at)) / 1000;
      return { nodeCpuPer1k: (1000 * (end.nodeCpu - start.nodeCpu)) / Math.max(1, deliveries), machineBusy: busyShare(start.machine, end.machine) };
    },
  };
}

/** Each system runs this many times, the two taking turns, so that a slow minute of the VM does not land on one of them. */
const ROUNDS = 3;

/**
 * `pnpm bench compare`: this cluster against the reference at the same steps
 * (light, medium, the target), in one run: 2 socket nodes and 1 API node (the
 * reference: 3 of its nodes) behind the same HAProxy, clients on the default
 * one event per message.
 */
export async function compareBenchmark(): Promise<string> {
  const ours: StepResult[][] = [];
  const reference: StepResult[][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    ours.push(await measure(`this cluster, round ${round} of ${ROUNDS}`, 'this', () => startDeployment({ socket: 2, api: 1 })));
    reference.push(
      await measure(`reference, round ${round} of ${ROUNDS}`, 'reference', () => startDeployment({ socket: 2, api: 1, nodeEntry: REFERENCE_ENTRY })),
    );
  }
  const rows = COMPARE_STEPS.map((step, i) => {
    const a = ours.map((run) => run[i]!);
    const b = reference.map((run) => run[i]!);
    return [
      `${step.name}: ${fmt(step.ratePerRoom, 0)} msg/s/room, ${int(step.ratePerRoom * SHAPE.rooms * SHAPE.clientsPerRoom)} deliveries/s asked`,
      `${spread(a, (r) => r.e2eP99)} / ${spread(a, (r) => r.ackP99)}`,
      `${spread(b, (r) => r.e2eP99)} / ${spread(b, (r) => r.ackP99)}`,
      `${ratio(
        median(b, (r) => r.e2eP99),
        median(a, (r) => r.e2eP99),
      )} / ${ratio(
        median(b, (r) => r.ackP99),
        median(a, (r) => r.ackP99),
      )}`,
      faults(a),
      faults(b),
      `${int(median(a, (r) => r.deliveriesPerSec))} / ${int(median(b, (r) => r.deliveriesPerSec))}`,
    ];
  });
  const md = `## Compare: this cluster against a conventional socket.io server

Command: \`pnpm bench compare\`. Machine: ${machine()}.

Load: ${SHAPE.rooms} rooms x ${SHAPE.clientsPerRoom} members, every member receives every message of its room (one \`message\` event each, the default),
${STEP_SEC} s per step after ${WARMUP_SEC} s of warm-up, each step a fresh set of clients; each fresh deployment first carries ${WARM_UP.durationSec} s of
unmeasured load at ${WARM_UP.ratePerRoom} msg/s/room (a node just started runs cold code). Both run as 3 Node processes behind the same
generated HAProxy config on the same MariaDB and Redis. The reference is what users would otherwise write
(\`tools/bench/src/reference\`): plain socket.io with \`@socket.io/redis-adapter\` (every node receives every broadcast),
a Redis INCR for the seq, one INSERT per message and the ack after it, then \`io.to(room).emit\`; no ordering, no presence.
Each system ran ${ROUNDS} times on fresh deployments, the two taking turns: figures are the median run with the range in brackets,
ratios are of the medians, and losses, order violations and duplicates are added up over the runs.
CPU (in the step tables): user + system time of the server's Node processes (from /proc) per 1,000 deliveries over the measured
window, and how busy the whole machine was meanwhile (load generator, HAProxy, MariaDB and Redis included).

| step | this cluster e2e p99 / ack p99 ms | reference e2e p99 / ack p99 ms | reference ÷ this cluster (e2e / ack; > 1: we are faster) | this cluster lost / order violations / duplicates | reference lost / order violations / duplicates | deliveries/s (ours / reference) |
| --- | --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

${[
  ['this cluster (2 socket + 1 API nodes)', ours],
  ['reference (socket.io + redis-adapter, one INSERT per message; 3 nodes)', reference],
]
  .map(([label, runs]) => `Steps, ${label as string}:\n\n${stepTable(runs as StepResult[][])}`)
  .join('\n\n')}
`;
  writeSection('compare', md);
  return md;
}

/** Each step on a fresh load (its own clients and rooms), on one deployment, after the deployment's warm-up. */
async function measure(label: string, system: string, start: () => Promise<Deployment>): Promise<StepResult[]> {
  process.stderr.write(`\n== ${label}\n`);
  const d = await start();
  try {
    await warmUp(d);
    const steps: StepResult[] = [];
    for (const step of COMPARE_STEPS) {
      const cpu = cpuWindow(d);
      const report = await runLoad({
        urls: [d.cluster.url],
        ...SHAPE,
        ratePerRoom: step.ratePerRoom,
        durationSec: STEP_SEC,
        warmupSec: WARMUP_SEC,
        // A comparison, not a ramp: every step runs whatever it shows.
        p99MaxMs: 600_000,
        lossMax: 1,
        workers: 2,
        delivery: 'each',
        loopP99MaxMs: 50,
        cpuMaxPct: 95,
        outDir: path.join(REPORT_DIR, `compare-${system}-${step.name}`),
        onProgress: (p) => {
          cpu.onPhase(p.phase);
          process.stderr.write(`  ${step.name}: ${formatProgress(p)}\n`);
        },
      });
      const summary = summarize(step, report);
      steps.push({ ...summary, ...cpu.result(summary.deliveriesPerSec) });
    }
    return steps;
  } finally {
    await d.close();
  }
}

const median = (runs: StepResult[], pick: (r: StepResult) => number): number => {
  const xs = runs.map(pick).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
};

const spread = (runs: StepResult[], pick: (r: StepResult) => number, digits?: number): string => {
  const xs = runs.map(pick).sort((a, b) => a - b);
  return `${fmt(median(runs, pick), digits)} [${fmt(xs[0], digits)}-${fmt(xs.at(-1), digits)}]`;
};

const faults = (runs: StepResult[]): string => {
  const total = (pick: (r: StepResult) => number) => runs.reduce((n, r) => n + pick(r), 0);
  return `${total((r) => r.lost)} / ${total((r) => r.orderViolations)} / ${total((r) => r.duplicates)}`;
};

function summarize(step: (typeof COMPARE_STEPS)[number], report: LoadReport): Omit<StepResult, 'nodeCpuPer1k' | 'machineBusy'> {
  const s = report.steps.at(-1)!;
  return {
    name: step.name,
    ratePerRoom: step.ratePerRoom,
    deliveriesPerSec: s.deliveriesPerSec,
    e2eP50: s.e2e.p50,
    e2eP99: s.e2e.p99,
    ackP99: s.ack.p99,
    lost: report.totals.lost,
    orderViolations: report.totals.orderViolations,
    duplicates: report.totals.duplicates,
  };
}

function stepTable(runs: StepResult[][]): string {
  return table(
    [
      'step',
      'msg/s/room',
      'deliveries/s',
      'e2e p50 ms',
      'e2e p99 ms',
      'ack p99 ms',
      'lost / order violations / duplicates',
      'Node processes CPU s per 1,000 deliveries',
      'machine busy %',
    ],
    COMPARE_STEPS.map((step, i) => {
      const rs = runs.map((run) => run[i]!);
      return [
        step.name,
        fmt(step.ratePerRoom, 0),
        int(median(rs, (r) => r.deliveriesPerSec)),
        spread(rs, (r) => r.e2eP50),
        spread(rs, (r) => r.e2eP99),
        spread(rs, (r) => r.ackP99),
        faults(rs),
        spread(rs, (r) => r.nodeCpuPer1k, 3),
        spread(rs, (r) => 100 * r.machineBusy, 0),
      ];
    }),
  );
}

const ratio = (reference: number, ours: number): string => (ours > 0 && Number.isFinite(reference) ? `${fmt(reference / ours, 2)}x` : '-');
