import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { formatProgress, runLoad } from '@chat/loadtest';
import type { StepSummary } from '@chat/loadtest';
import { startDeployment } from './deployment';
import { fmt, int, machine, table, writeSection } from './markdown';
import { busyShare, machineTicks } from './proc';
import { count, gaugeValues, histogram, minus, plus, quantile } from './prom';
import type { Buckets } from './prom';
import { REPORT_DIR, SHAPE, WARM_UP, warmUp } from './sustained';

/** The light step of the comparison: 60 msg/s/room, 12,000 deliveries/s. */
const LIGHT = { ratePerRoom: 60, durationSec: 15, warmupSec: 3 } as const;
const QUARTER = LIGHT.ratePerRoom / 4;

/**
 * Variants measured in the same run, in turns: what the nodes run (NODE_FLAGS: a young generation capped at
 * 8 MB per semi-space), V8's default (up to 16 MB) and smaller caps. A scavenge copies what is alive at
 * that moment, so more frequent scavenges each stop the node for less time, and the total grows.
 * (A 64 MB one and the GC on the main thread only were measured worse on 2026-12-07.)
 */
const VARIANTS: Array<{ label: string; nodeArgs: string[]; ratePerRoom: number }> = [
  { label: 'what the nodes run: an 8 MB young generation (--max-semi-space-size=8)', nodeArgs: [], ratePerRoom: LIGHT.ratePerRoom },
  { label: "V8's default young generation, up to 16 MB (--max-semi-space-size=16)", nodeArgs: ['--max-semi-space-size=16'], ratePerRoom: LIGHT.ratePerRoom },
  { label: 'a 4 MB young generation (--max-semi-space-size=4)', nodeArgs: ['--max-semi-space-size=4'], ratePerRoom: LIGHT.ratePerRoom },
  { label: 'a 2 MB young generation (--max-semi-space-size=2)', nodeArgs: ['--max-semi-space-size=2'], ratePerRoom: LIGHT.ratePerRoom },
  // The same code with cores to spare: what the message path costs when nothing waits for a CPU.
  {
    label: `what the nodes run at a quarter of the load: ${QUARTER} msg/s/room (${int(QUARTER * SHAPE.rooms * SHAPE.clientsPerRoom)} deliveries/s)`,
    nodeArgs: [],
    ratePerRoom: QUARTER,
  },
];

/** Each variant runs this many times, the variants taking turns, so that a slow minute of the VM does not land on one of them. */
const ROUNDS = 3;

interface Breakdown {
  label: string;
  clients: StepSummary;
  stages: Array<[string, Buckets]>;
  /** Event-loop delay over the window in ms, the worse socket node at each quantile. */
  loopDelay: { p50: number; p99: number; max: number };
  /** The socket nodes' main threads over the window, per second: CPU they used and time they were runnable but waited for a core. */
  mainThreads: { cpuMsPerSec: number; waitMsPerSec: number; waitMsPerSlice: number };
  /** Share of the machine's 2 cores busy over the window. */
  machineBusy: number;
  inserts: number;
  sent: number;
}

/**
 * `pnpm bench breakdown`: where a send's time goes at light load, and what
 * blocks the event loop, from the socket nodes' own histograms over the
 * measured window (send stages, commit time, fan-out, event-loop delay, GC
 * pauses), next to what the clients saw, what MariaDB did and how long the
 * nodes' main threads waited for a core.
 */
export async function breakdownBenchmark(): Promise<string> {
  const runs = new Map<string, Breakdown[]>(VARIANTS.map((v) => [v.label, []]));
  for (let round = 1; round <= ROUNDS; round++)
    for (const v of VARIANTS) runs.get(v.label)!.push(await measure(`${v.label}, round ${round} of ${ROUNDS}`, v.nodeArgs, v.ratePerRoom));
  const md = `## Light-load breakdown: where the ack time goes

Command: \`pnpm bench breakdown\`. Machine: ${machine()}.

Load: ${SHAPE.rooms} rooms x ${SHAPE.clientsPerRoom} members at ${LIGHT.ratePerRoom} msg/s/room (${int(LIGHT.ratePerRoom * SHAPE.rooms * SHAPE.clientsPerRoom)} deliveries/s) unless the variant says otherwise,
${LIGHT.durationSec} s measured after ${LIGHT.warmupSec} s of warm-up (each fresh cluster first carries ${WARM_UP.durationSec} s of unmeasured load at ${WARM_UP.ratePerRoom} msg/s/room), 2 socket nodes + 1 API node behind HAProxy, one \`message\` event per message.
Each variant ran ${ROUNDS} times on a fresh cluster, the variants taking turns. Client figures: the median run, with the range over the runs in brackets.
The stage table adds up the socket nodes' own histograms over the measured windows of all runs (quantiles interpolated within buckets).
Event-loop delay: how late a 10 ms timer ran (Node's sampler, its period taken out), the worse socket node at each quantile, median run.
Main threads: the socket nodes' event-loop threads from \`/proc/<pid>/schedstat\`, per second of the window, both nodes together:
CPU they ran, and time they were ready to run but waited for a core (the scheduler's run-queue delay), with the mean wait each time they got a core.

${VARIANTS.map((v) => section(v.label, runs.get(v.label)!)).join('\n\n')}
`;
  writeSection('breakdown', md);
  return md;
}

function section(label: string, rs: Breakdown[]): string {
  const spread = (pick: (r: Breakdown) => number, digits = 1) => {
    const xs = rs.map(pick).sort((a, b) => a - b);
    return `${fmt(xs[Math.floor(xs.length / 2)], digits)} [${fmt(xs[0], digits)}-${fmt(xs.at(-1), digits)}]`;
  };
  const stages = rs[0]!.stages.map(([name], i) => [name, rs.map((r) => r.stages[i]![1]).reduce(plus)] as const);
  const inserts = rs.reduce((n, r) => n + r.inserts, 0);
  const sent = rs.reduce((n, r) => n + r.sent, 0);
  return `### ${label}

Clients saw: ack p50 ${spread((r) => r.clients.ack.p50)} / p99 ${spread((r) => r.clients.ack.p99)} ms, end-to-end p50 ${spread((r) => r.clients.e2e.p50)} / p99 ${spread((r) => r.clients.e2e.p99)} ms, ${int(rs[0]!.clients.sendsPerSec)} messages/s in.
Event-loop delay: p50 ${spread((r) => r.loopDelay.p50, 2)} / p99 ${spread((r) => r.loopDelay.p99, 2)} / max ${spread((r) => r.loopDelay.max)} ms.
Main threads: CPU ${spread((r) => r.mainThreads.cpuMsPerSec, 0)} ms/s, waiting for a core ${spread((r) => r.mainThreads.waitMsPerSec, 0)} ms/s (${spread((r) => r.mainThreads.waitMsPerSlice, 2)} ms per wait); the machine ${spread((r) => 100 * r.machineBusy, 0)}% busy.
MariaDB: ${int(inserts)} INSERTs for ${int(sent)} messages (${fmt(sent / Math.max(1, inserts), 2)} per group).

${table(
  ['stage', 'count', 'p50 ms', 'p99 ms', 'mean ms', 'total s'],
  stages.map(([name, b]) => [
    name,
    int(count(b)),
    fmt(quantile(b, 0.5) * 1000, 2),
    fmt(quantile(b, 0.99) * 1000, 2),
    fmt((b.sum / Math.max(1, count(b))) * 1000, 2),
    fmt(b.sum, 2),
  ]),
)}`;
}

async function measure(label: string, nodeArgs: string[], ratePerRoom: number): Promise<Breakdown> {
  process.stderr.write(`\n== breakdown: ${label}\n`);
  const d = await startDeployment({ socket: 2, api: 1, nodeArgs });
  const admin = await mysql.createConnection(d.dbUrl);
  try {
    await warmUp(d);
    const sockets = d.cluster.nodes.filter((n) => n.kind === 'socket');
    const scrapeAll = async () => (await Promise.all(sockets.map(async (n) => (await fetch(`${n.metricsUrl}/metrics`)).text()))).join('\n');
    const inserts = async () => {
      const [rows] = (await admin.query("SHOW GLOBAL STATUS LIKE 'Com_insert'")) as unknown as [Array<{ Value: string }>];
      return Number(rows[0]?.Value ?? 0);
    };
    const sample = async () => ({
      started: Date.now(),
      threads: sockets.map((n) => schedStat(n.pid)),
      machine: machineTicks(),
      text: await scrapeAll(),
      inserts: await inserts(),
    });
    let before: ReturnType<typeof sample> | undefined;
    const report = await runLoad({
      urls: [d.cluster.url],
      ...SHAPE,
      ...LIGHT,
      ratePerRoom,
      p99MaxMs: 600_000,
      lossMax: 1,
      workers: 2,
      delivery: 'each',
      outDir: path.join(REPORT_DIR, 'breakdown'),
      onProgress: (p) => {
        if (!before && p.phase === 'measuring') before = sample();
        process.stderr.write(`  ${formatProgress(p)}\n`);
      },
    });
    const after = await sample();
    const start = before ? await before : after;
    const window = (name: string, labels: Record<string, string> = {}) => minus(histogram(after.text, name, labels), histogram(start.text, name, labels));
    const step = report.steps.at(-1)!;
    // The gauges cover the time since the previous scrape: the one at the window's start.
    const worstLoopDelay = (q: string) => Math.max(...gaugeValues(after.text, 'chat_event_loop_delay_seconds', { quantile: q })) * 1000;
    const seconds = Math.max(1, after.started - start.started) / 1000;
    const threads = after.threads.map((t, i) => minusSched(t, start.threads[i]!)).reduce(plusSched);
    return {
      label,
      clients: step,
      loopDelay: { p50: worstLoopDelay('0.5'), p99: worstLoopDelay('0.99'), max: worstLoopDelay('1') },
      mainThreads: {
        cpuMsPerSec: threads.runNs / 1e6 / seconds,
        waitMsPerSec: threads.waitNs / 1e6 / seconds,
        waitMsPerSlice: threads.waitNs / 1e6 / Math.max(1, threads.slices),
      },
      machineBusy: busyShare(start.machine, after.machine),
      inserts: after.inserts - start.inserts,
      sent: step.sent,
      stages: [
        ['ack (server side: request to ack)', window('chat_ack_seconds')],
        ['admit (rate limit), side by side with seq', window('chat_send_stage_seconds', { stage: 'admit' })],
        ['seq reservation (Redis)', window('chat_send_stage_seconds', { stage: 'seq' })],
        ['commit (group commit: waiting + INSERT)', window('chat_send_stage_seconds', { stage: 'commit' })],
        ['one group INSERT (MariaDB)', window('chat_store_write_seconds')],
        ['stored to local emit (fan-out)', window('chat_fanout_seconds')],
        ['of it: held in in-order delivery for a lower seq', window('chat_reorder_wait_seconds')],
        ['GC pauses, minor', window('chat_gc_pause_seconds', { kind: 'minor' })],
        ['GC pauses, major', window('chat_gc_pause_seconds', { kind: 'major' })],
        ['GC pauses, incremental', window('chat_gc_pause_seconds', { kind: 'incremental' })],
      ],
    };
  } finally {
    await admin.end();
    await d.close();
  }
}

/** A thread's scheduler counters (`/proc/<pid>/schedstat`, the main thread's): ns on a CPU, ns runnable but waiting, times it got a CPU. */
interface SchedStat {
  runNs: number;
  waitNs: number;
  slices: number;
}

function schedStat(pid: number): SchedStat {
  const [runNs = 0, waitNs = 0, slices = 0] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
  return { runNs, waitNs, slices };
}

const minusSched = (a: SchedStat, b: SchedStat): SchedStat => ({ runNs: a.runNs - b.runNs, waitNs: a.waitNs - b.waitNs, slices: a.slices - b.slices });
const plusSched = (a: SchedStat, b: SchedStat): SchedStat => ({ runNs: a.runNs + b.runNs, waitNs: a.waitNs + b.waitNs, slices: a.slices + b.slices });
