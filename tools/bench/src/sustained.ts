import path from 'node:path';
import { formatProgress, runLoad } from '@chat/loadtest';
import type { LoadReport, StepSummary } from '@chat/loadtest';
import { startDeployment } from './deployment';
import type { Deployment } from './deployment';
import { fmt, int, table } from './markdown';

/** The load shape of the targets: 10 rooms x 20 members, messages stored in MySQL. */
export const SHAPE = { rooms: 10, clientsPerRoom: 20 } as const;
/** The bound: a step counts as sustained with p99 end-to-end under 50 ms and no loss. */
export const BOUNDS = { p99MaxMs: 50, lossMax: 0 } as const;
/** The ramp runs on to this looser p99 bound, so the throughput comparison still has figures where the strict bound breaks early. */
export const RAMP_P99_MAX_MS = 250;
/** Rates per room tried in order: x1.25 per step from 20 msg/s/room (200 msg/s in, 4,000 deliveries/s). */
export const RAMP = { start: 20, factor: 1.25, maxSteps: 14, stepSec: 8, retries: 1 } as const;

export const REPORT_DIR = path.resolve(__dirname, '../../../loadtest-reports/bench');

/** Unmeasured load on a fresh deployment before the measured steps: a node just started runs cold code for its first seconds. */
export const WARM_UP = { ratePerRoom: 60, durationSec: 12 } as const;

export async function warmUp(d: Deployment): Promise<void> {
  process.stderr.write(`  warm-up: ${WARM_UP.durationSec} s at ${WARM_UP.ratePerRoom} msg/s/room, not measured\n`);
  await runLoad({
    urls: [d.cluster.url],
    ...SHAPE,
    ...WARM_UP,
    warmupSec: 0,
    p99MaxMs: 600_000,
    lossMax: 1,
    workers: 2,
    delivery: 'each',
    outDir: path.join(REPORT_DIR, 'warm-up'),
  });
}

export interface Sustained {
  label: string;
  report: LoadReport;
  /** The last step within the strict bounds, if any. */
  best: StepSummary | undefined;
  /** The last step within the ramp's looser p99 bound, if any. */
  loose: StepSummary | undefined;
}

/** Ramps the rate on a fresh deployment until p99 or loss breaks; the last good step is the sustained rate. */
export async function measureSustained(
  label: string,
  deployment: { socket: number; api: number; env?: Record<string, string> },
  clients: { delivery?: 'each' | 'batch' } = {},
): Promise<Sustained> {
  process.stderr.write(`\n== ${label}: starting ${deployment.socket} socket + ${deployment.api} API node(s)\n`);
  const d = await startDeployment(deployment);
  try {
    const report = await runLoad({
      urls: [d.cluster.url],
      ...SHAPE,
      ratePerRoom: RAMP.start,
      warmupSec: 8,
      ramp: { factor: RAMP.factor, maxSteps: RAMP.maxSteps, stepSec: RAMP.stepSec, retries: RAMP.retries },
      p99MaxMs: RAMP_P99_MAX_MS,
      lossMax: BOUNDS.lossMax,
      workers: 2,
      delivery: clients.delivery ?? 'each',
      // A 2-core machine shared with the servers: only call the generator saturated when its delay alone would break the strict bound.
      loopP99MaxMs: BOUNDS.p99MaxMs,
      cpuMaxPct: 95,
      outDir: REPORT_DIR,
      onProgress: (p) => process.stderr.write(`  ${formatProgress(p)}\n`),
    });
    const loose = report.steps.filter((s) => s.ok).at(-1);
    const best = report.steps.filter((s) => s.ok && s.e2e.p99 < BOUNDS.p99MaxMs).at(-1);
    return { label, report, best, loose };
  } finally {
    await d.close();
  }
}

/** One row per variant: the sustained rate and what it cost, at the strict bound or (`pick = 'loose'`) the ramp's. */
export function summaryTable(results: Sustained[], pick: 'best' | 'loose' = 'best'): string {
  return table(
    [
      'variant',
      'sustained msg/s/room',
      'messages in/s',
      'deliveries/s',
      'e2e p50 ms',
      'e2e p99 ms',
      'ack p99 ms',
      'loss',
      'order violations',
      'ramp stopped because',
    ],
    results
      .map(({ label, report, ...r }) => [r[pick], label, report] as const)
      .map(([best, label, report]) => [
        label,
        best ? fmt(best.rate, 0) : 'none',
        best ? int(best.sendsPerSec) : '-',
        best ? int(best.deliveriesPerSec) : '-',
        best ? fmt(best.e2e.p50) : '-',
        best ? fmt(best.e2e.p99) : '-',
        best ? fmt(best.ack.p99) : '-',
        best ? `${best.lost}` : '-',
        `${report.totals.orderViolations}`,
        report.ramp?.stoppedBecause ?? '-',
      ]),
  );
}

/** Every step of one variant, so the knee of the curve is visible. */
export function stepsTable(r: Sustained): string {
  return table(
    ['msg/s/room', 'messages in/s', 'deliveries/s', 'e2e p50 ms', 'e2e p99 ms', 'ack p99 ms', 'lost', 'generator saturated', 'verdict'],
    r.report.steps.map((s, i, all) => [
      `${fmt(s.rate, 0)}${i > 0 && all[i - 1]!.rate === s.rate ? ' (again)' : ''}`,
      int(s.sendsPerSec),
      int(s.deliveriesPerSec),
      fmt(s.e2e.p50),
      fmt(s.e2e.p99),
      fmt(s.ack.p99),
      `${s.lost}`,
      s.generatorSaturated ? 'yes' : 'no',
      s.ok ? 'ok' : `broke: ${s.breaks.join('+')}`,
    ]),
  );
}

export const deliveries = (r: Sustained, pick: 'best' | 'loose' = 'best'): number => r[pick]?.deliveriesPerSec ?? 0;
