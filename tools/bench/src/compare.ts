import path from 'node:path';
import { formatProgress, runLoad } from '@chat/loadtest';
import type { LoadReport } from '@chat/loadtest';
import { startDeployment } from './deployment';
import type { Deployment } from './deployment';
import { fmt, int, machine, table, writeSection } from './markdown';
import { REPORT_DIR, SHAPE } from './sustained';

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
}

/**
 * `pnpm bench compare`: this cluster against the reference at the same steps
 * (light, medium, the target), in one run: 2 socket nodes and 1 API node (the
 * reference: 3 of its nodes) behind the same HAProxy, clients on the default
 * one event per message.
 */
export async function compareBenchmark(): Promise<string> {
  const ours = await measure('this cluster (2 socket + 1 API nodes)', () => startDeployment({ socket: 2, api: 1 }));
  const reference = await measure('reference (socket.io + redis-adapter, one INSERT per message; 3 nodes)', () =>
    startDeployment({ socket: 2, api: 1, nodeEntry: REFERENCE_ENTRY }),
  );
  const rows = COMPARE_STEPS.map((step, i) => {
    const a = ours.steps[i]!;
    const b = reference.steps[i]!;
    return [
      `${step.name}: ${fmt(step.ratePerRoom, 0)} msg/s/room, ${int(step.ratePerRoom * SHAPE.rooms * SHAPE.clientsPerRoom)} deliveries/s asked`,
      `${fmt(a.e2eP99)} / ${fmt(a.ackP99)}`,
      `${fmt(b.e2eP99)} / ${fmt(b.ackP99)}`,
      `${ratio(b.e2eP99, a.e2eP99)} / ${ratio(b.ackP99, a.ackP99)}`,
      `${a.lost} / ${a.orderViolations} / ${a.duplicates}`,
      `${b.lost} / ${b.orderViolations} / ${b.duplicates}`,
      `${int(a.deliveriesPerSec)} / ${int(b.deliveriesPerSec)}`,
    ];
  });
  const md = `## Compare: this cluster against a conventional socket.io server

Command: \`pnpm bench compare\`. Machine: ${machine()}.

Load: ${SHAPE.rooms} rooms x ${SHAPE.clientsPerRoom} members, every member receives every message of its room (one \`message\` event each, the default),
${STEP_SEC} s per step after ${WARMUP_SEC} s of warm-up, each step a fresh set of clients. Both run as 3 Node processes behind the same
generated HAProxy config on the same MariaDB and Redis. The reference is what users would otherwise write
(\`tools/bench/src/reference\`): plain socket.io with \`@socket.io/redis-adapter\` (every node receives every broadcast),
a Redis INCR for the seq, one INSERT per message and the ack after it, then \`io.to(room).emit\`; no ordering, no presence.

| step | this cluster e2e p99 / ack p99 ms | reference e2e p99 / ack p99 ms | reference ÷ this cluster (e2e / ack; > 1: we are faster) | this cluster lost / order violations / duplicates | reference lost / order violations / duplicates | deliveries/s (ours / reference) |
| --- | --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

${[ours, reference].map((s) => `Steps, ${s.label}:\n\n${stepTable(s.steps)}`).join('\n\n')}
`;
  writeSection('compare', md);
  return md;
}

/** Each step on a fresh load (its own clients and rooms), on one deployment. */
async function measure(label: string, start: () => Promise<Deployment>): Promise<{ label: string; steps: StepResult[] }> {
  process.stderr.write(`\n== ${label}\n`);
  const d = await start();
  try {
    const steps: StepResult[] = [];
    for (const step of COMPARE_STEPS) {
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
        outDir: path.join(REPORT_DIR, `compare-${label.split(' ')[0]}-${step.name}`),
        onProgress: (p) => process.stderr.write(`  ${step.name}: ${formatProgress(p)}\n`),
      });
      steps.push(summarize(step, report));
    }
    return { label, steps };
  } finally {
    await d.close();
  }
}

function summarize(step: (typeof COMPARE_STEPS)[number], report: LoadReport): StepResult {
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

function stepTable(steps: StepResult[]): string {
  return table(
    ['step', 'msg/s/room', 'deliveries/s', 'e2e p50 ms', 'e2e p99 ms', 'ack p99 ms', 'lost', 'order violations', 'duplicates'],
    steps.map((s) => [
      s.name,
      fmt(s.ratePerRoom, 0),
      int(s.deliveriesPerSec),
      fmt(s.e2eP50),
      fmt(s.e2eP99),
      fmt(s.ackP99),
      `${s.lost}`,
      `${s.orderViolations}`,
      `${s.duplicates}`,
    ]),
  );
}

const ratio = (reference: number, ours: number): string => (ours > 0 && Number.isFinite(reference) ? `${fmt(reference / ours, 2)}x` : '-');
