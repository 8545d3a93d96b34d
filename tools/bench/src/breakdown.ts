import path from 'node:path';
import mysql from 'mysql2/promise';
import { formatProgress, runLoad } from '@chat/loadtest';
import type { StepSummary } from '@chat/loadtest';
import { NODE_FLAGS } from '@chat/devcluster';
import { startDeployment } from './deployment';
import { fmt, int, machine, table, writeSection } from './markdown';
import { count, gaugeValues, histogram, minus, quantile } from './prom';
import type { Buckets } from './prom';
import { REPORT_DIR, SHAPE } from './sustained';

/** The light step of the comparison: 60 msg/s/room, 12,000 deliveries/s. */
const LIGHT = { ratePerRoom: 60, durationSec: 15, warmupSec: 3 } as const;

/** Variants measured in the same run: V8's default young generation, and the 64 MB one the nodes run with (fewer scavenges). */
const VARIANTS: Array<{ label: string; v8Flags: readonly string[] }> = [
  { label: "V8's default young generation", v8Flags: [] },
  { label: `what the nodes run: young generation 64 MB (${NODE_FLAGS.join(' ')})`, v8Flags: NODE_FLAGS },
];

interface Breakdown {
  label: string;
  clients: StepSummary;
  stages: Array<[string, Buckets]>;
  /** Event-loop delay over the window in ms, the worse socket node at each quantile. */
  loopDelay: { p50: number; p99: number; max: number };
  inserts: number;
  sent: number;
}

/**
 * `pnpm bench breakdown`: where a send's time goes at light load, and what
 * blocks the event loop, from the socket nodes' own histograms over the
 * measured window (send stages, commit time, fan-out, event-loop delay, GC
 * pauses), next to what the clients saw and what MariaDB did.
 */
export async function breakdownBenchmark(): Promise<string> {
  const results: Breakdown[] = [];
  for (const v of VARIANTS) results.push(await measure(v.label, v.v8Flags));
  const md = `## Light-load breakdown: where the ack time goes

Command: \`pnpm bench breakdown\`. Machine: ${machine()}.

Load: ${SHAPE.rooms} rooms x ${SHAPE.clientsPerRoom} members at ${LIGHT.ratePerRoom} msg/s/room (${int(LIGHT.ratePerRoom * SHAPE.rooms * SHAPE.clientsPerRoom)} deliveries/s),
${LIGHT.durationSec} s measured after ${LIGHT.warmupSec} s of warm-up, 2 socket nodes + 1 API node behind HAProxy, one \`message\` event per message.
Figures are the socket nodes' own histograms over the measured window (both nodes together; quantiles interpolated within buckets).
Event-loop delay: how late a 10 ms timer ran over the window (Node's sampler, its period taken out), the worse socket node at each quantile.

${results
  .map(
    (r) => `### ${r.label}

Clients saw: ack p50 ${fmt(r.clients.ack.p50)} / p99 ${fmt(r.clients.ack.p99)} ms, end-to-end p50 ${fmt(r.clients.e2e.p50)} / p99 ${fmt(r.clients.e2e.p99)} ms, ${int(r.clients.sendsPerSec)} messages/s in; MariaDB: ${int(r.inserts)} INSERTs for ${int(r.sent)} messages (${fmt(r.sent / Math.max(1, r.inserts), 2)} per group).
Event-loop delay: p50 ${fmt(r.loopDelay.p50, 2)} / p99 ${fmt(r.loopDelay.p99, 2)} / max ${fmt(r.loopDelay.max, 2)} ms.

${table(
  ['stage', 'count', 'p50 ms', 'p99 ms', 'mean ms', 'total s'],
  r.stages.map(([name, b]) => [
    name,
    int(count(b)),
    fmt(quantile(b, 0.5) * 1000, 2),
    fmt(quantile(b, 0.99) * 1000, 2),
    fmt((b.sum / Math.max(1, count(b))) * 1000, 2),
    fmt(b.sum, 2),
  ]),
)}`,
  )
  .join('\n\n')}
`;
  writeSection('breakdown', md);
  return md;
}

async function measure(label: string, v8Flags: readonly string[]): Promise<Breakdown> {
  process.stderr.write(`\n== breakdown: ${label}\n`);
  const d = await startDeployment({ socket: 2, api: 1, v8Flags });
  const admin = await mysql.createConnection(d.dbUrl);
  try {
    const sockets = d.cluster.nodes.filter((n) => n.kind === 'socket');
    const scrapeAll = async () => (await Promise.all(sockets.map(async (n) => (await fetch(`${n.metricsUrl}/metrics`)).text()))).join('\n');
    const inserts = async () => {
      const [rows] = (await admin.query("SHOW GLOBAL STATUS LIKE 'Com_insert'")) as unknown as [Array<{ Value: string }>];
      return Number(rows[0]?.Value ?? 0);
    };
    let before: Promise<[string, number]> | undefined;
    const report = await runLoad({
      urls: [d.cluster.url],
      ...SHAPE,
      ...LIGHT,
      p99MaxMs: 600_000,
      lossMax: 1,
      workers: 2,
      delivery: 'each',
      outDir: path.join(REPORT_DIR, 'breakdown'),
      onProgress: (p) => {
        if (!before && p.phase === 'measuring') before = Promise.all([scrapeAll(), inserts()]);
        process.stderr.write(`  ${formatProgress(p)}\n`);
      },
    });
    const [afterText, afterInserts] = await Promise.all([scrapeAll(), inserts()]);
    const [beforeText, beforeInserts] = before ? await before : [afterText, afterInserts];
    const window = (name: string, labels: Record<string, string> = {}) => minus(histogram(afterText, name, labels), histogram(beforeText, name, labels));
    const step = report.steps.at(-1)!;
    // The gauges cover the time since the previous scrape: the one at the window's start.
    const worstLoopDelay = (q: string) => Math.max(...gaugeValues(afterText, 'chat_event_loop_delay_seconds', { quantile: q })) * 1000;
    return {
      label,
      clients: step,
      loopDelay: { p50: worstLoopDelay('0.5'), p99: worstLoopDelay('0.99'), max: worstLoopDelay('1') },
      inserts: afterInserts - beforeInserts,
      sent: step.sent,
      stages: [
        ['ack (server side: request to ack)', window('chat_ack_seconds')],
        ['admit (rate limit), side by side with seq', window('chat_send_stage_seconds', { stage: 'admit' })],
        ['seq reservation (Redis)', window('chat_send_stage_seconds', { stage: 'seq' })],
        ['commit (group commit: waiting + INSERT)', window('chat_send_stage_seconds', { stage: 'commit' })],
        ['one group INSERT (MariaDB)', window('chat_store_write_seconds')],
        ['stored to local emit (fan-out)', window('chat_fanout_seconds')],
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
