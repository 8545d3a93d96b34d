import path from 'node:path';
import mysql from 'mysql2/promise';
import { formatProgress, runLoad } from '@chat/loadtest';
import { startDeployment } from './deployment';
import { fmt, int, machine, table, writeSection } from './markdown';
import { count, histogram, minus, quantile } from './prom';
import type { Buckets } from './prom';
import { REPORT_DIR, SHAPE } from './sustained';

/** The light step of the comparison: 60 msg/s/room, 12,000 deliveries/s. */
const LIGHT = { ratePerRoom: 60, durationSec: 15, warmupSec: 3 } as const;

/**
 * `pnpm bench breakdown`: where a send's time goes at light load, and what
 * blocks the event loop, from the socket nodes' own histograms over the
 * measured window (send stages, commit time, event-loop delay, GC pauses),
 * next to what the clients saw and what MariaDB did.
 */
export async function breakdownBenchmark(): Promise<string> {
  const d = await startDeployment({ socket: 2, api: 1 });
  const admin = await mysql.createConnection(d.dbUrl);
  try {
    const sockets = d.cluster.nodes.filter((n) => n.kind === 'socket');
    const scrapeAll = async () => (await Promise.all(sockets.map(async (n) => (await fetch(`${n.metricsUrl}/metrics`)).text()))).join('\n');
    const fsyncs = async () => {
      const [rows] = (await admin.query(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_data_fsyncs', 'Innodb_os_log_fsyncs', 'Com_insert')",
      )) as unknown as [Array<{ Variable_name: string; Value: string }>];
      return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
    };
    let before: Promise<[string, Record<string, number>]> | undefined;
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
        if (!before && p.phase === 'measuring') before = Promise.all([scrapeAll(), fsyncs()]);
        process.stderr.write(`  ${formatProgress(p)}\n`);
      },
    });
    const [afterText, afterDb] = await Promise.all([scrapeAll(), fsyncs()]);
    const [beforeText, beforeDb] = before ? await before : [afterText, afterDb];
    const window = (name: string, labels: Record<string, string> = {}) => minus(histogram(afterText, name, labels), histogram(beforeText, name, labels));
    const step = report.steps.at(-1)!;
    const stages: Array<[string, Buckets]> = [
      ['ack (server side: request to ack)', window('chat_ack_seconds')],
      ['admit (rate limit), side by side with seq', window('chat_send_stage_seconds', { stage: 'admit' })],
      ['seq reservation (Redis)', window('chat_send_stage_seconds', { stage: 'seq' })],
      ['commit (group commit: waiting + INSERT)', window('chat_send_stage_seconds', { stage: 'commit' })],
      ['one group INSERT (MariaDB)', window('chat_store_write_seconds')],
      ['stored to local emit (fan-out)', window('chat_fanout_seconds')],
      ['event-loop delay (samples)', window('chat_event_loop_delay_seconds')],
      ['GC pauses, minor', window('chat_gc_pause_seconds', { kind: 'minor' })],
      ['GC pauses, major', window('chat_gc_pause_seconds', { kind: 'major' })],
      ['GC pauses, incremental', window('chat_gc_pause_seconds', { kind: 'incremental' })],
    ];
    const inserts = afterDb.Com_insert! - beforeDb.Com_insert!;
    const logFsyncs = afterDb.Innodb_os_log_fsyncs! - beforeDb.Innodb_os_log_fsyncs!;
    const md = `## Light-load breakdown: where the ack time goes

Command: \`pnpm bench breakdown\`. Machine: ${machine()}.

Load: ${SHAPE.rooms} rooms x ${SHAPE.clientsPerRoom} members at ${LIGHT.ratePerRoom} msg/s/room (${int(LIGHT.ratePerRoom * SHAPE.rooms * SHAPE.clientsPerRoom)} deliveries/s),
${LIGHT.durationSec} s measured after ${LIGHT.warmupSec} s of warm-up, 2 socket nodes + 1 API node behind HAProxy, one \`message\` event per message.
Figures are the socket nodes' own histograms over the measured window (both nodes together; quantiles interpolated within buckets).

Clients saw: ack p50 ${fmt(step.ack.p50)} / p99 ${fmt(step.ack.p99)} ms, end-to-end p50 ${fmt(step.e2e.p50)} / p99 ${fmt(step.e2e.p99)} ms, ${int(step.sendsPerSec)} messages/s in.

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
)}

MariaDB over the window: ${int(inserts)} INSERT statements for ${int(step.sent)} messages (${fmt(step.sent / Math.max(1, inserts), 2)} messages per group), ${int(logFsyncs)} redo-log fsyncs.
`;
    writeSection('breakdown', md);
    return md;
  } finally {
    await admin.end();
    await d.close();
  }
}
