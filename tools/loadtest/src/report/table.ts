import type { LatencySummary } from '../hist';
import type { LoadReport, MemberFinding, StepSummary } from './types';

/** Plain-text tables for stdout. */
export function renderTable(r: LoadReport): string {
  const out: string[] = [];
  const s = r.scenario;
  out.push(
    `loadtest ${r.runId}  scenario=${s.name}  rooms=${s.rooms} x ${s.clientsPerRoom} members  transport=${r.settings.transport}  parser=${r.settings.parser}  delivery=${r.settings.delivery}  workers=${r.settings.workers}`,
  );
  out.push(`urls: ${r.settings.urls.join(', ')}`);
  const c = r.connections;
  out.push(`connected ${c.connected}/${c.target}${c.failed ? `  (failed ${c.failed}: ${fmtCounts(c.errors)})` : ''}`);
  if (r.server) out.push(`server pid ${r.server.pid}: RSS peak ${r.server.rssMbPeak ?? '?'} MB, end ${r.server.rssMbEnd ?? '?'} MB`);
  out.push('');
  out.push(
    grid(
      ['latency (ms)', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'],
      [
        latRow('session (POST)', c.session),
        latRow('connect', c.connect),
        latRow('join', c.join),
        ...(r.result ? [latRow('ack', r.result.ack), latRow('end-to-end', r.result.e2e)] : []),
        ...(r.result && r.result.history.count > 0 ? [latRow('history', r.result.history)] : []),
        ...(r.result && r.result.join.count > 0 ? [latRow('re-join (churn)', r.result.join)] : []),
      ],
    ),
  );
  out.push('');
  out.push(
    grid(
      ['step', 'rate/room', 'sent', 'acked', 'failed', 'delivered', 'expected', 'lost', 'sends/s', 'deliv/s', 'e2e p99', 'verdict'],
      r.steps.map((st) => stepRow(st)),
    ),
  );
  out.push('');
  const t = r.totals;
  out.push(
    `loss ${t.lost}/${t.expectedDeliveries} (${pct(t.lossRatio)})  duplicates ${t.duplicates}  order violations ${t.orderViolations}  gaps ${t.gapEvents} (missing seqs ${t.missingSeqs})  disconnects ${t.unexpectedDisconnects}`,
  );
  const m = t.members;
  out.push(`members: ${m.withLoss} with loss, ${m.withDuplicates} with duplicates, ${m.withOrderViolations} with order violations, ${m.withGaps} with gaps`);
  for (const f of m.findings.slice(0, MEMBERS_SHOWN)) out.push(`  ${memberLine(f)}`);
  const more = m.findings.length - Math.min(m.findings.length, MEMBERS_SHOWN) + m.unlisted;
  if (more > 0) out.push(`  ... and ${more} more members (see the JSON report)`);
  out.push(`errors: ${fmtCounts(t.errors) || 'none'}`);
  if (r.ramp) out.push(`ramp: last good rate ${r.ramp.lastGoodRate ?? 'none'} msg/s/room (stopped: ${r.ramp.stoppedBecause})`);
  for (const w of r.workers) {
    out.push(
      `worker ${w.worker}: ${w.connected}/${w.clients} members, event-loop p99 max ${w.maxLoopP99Ms} ms, CPU max ${w.maxCpuPct}%${w.saturated ? `  SATURATED for ${w.saturatedSeconds} s` : ''}`,
    );
  }
  if (r.generatorSaturated) out.push("WARNING: a load worker was saturated; latencies include the generator's own delay. Use more --workers or less load.");
  if (r.files) out.push(`report: ${r.files.html}  json: ${r.files.json}`);
  return out.join('\n') + '\n';
}

/** Members listed one by one in the table (the JSON report lists them all). */
const MEMBERS_SHOWN = 10;

export function memberLine(f: MemberFinding): string {
  return `member ${f.member} (room ${f.room}): lost ${f.lost}, duplicates ${f.duplicates}, order violations ${f.orderViolations}, gaps ${f.gapEvents} (missing seqs ${f.missingSeqs})`;
}

function stepRow(st: StepSummary): string[] {
  const label = st.step < 0 ? 'warmup' : String(st.step);
  const verdict = st.ok ? 'ok' : `broke: ${st.breaks.join('+')}`;
  return [
    label,
    String(st.rate),
    String(st.sent),
    String(st.acked),
    String(st.failed),
    String(st.delivered),
    String(st.expectedDeliveries),
    `${st.lost} (${pct(st.lossRatio)})`,
    String(st.sendsPerSec),
    String(st.deliveriesPerSec),
    String(st.e2e.p99),
    verdict,
  ];
}

function latRow(name: string, l: LatencySummary): string[] {
  return [name, String(l.count), String(l.p50), String(l.p90), String(l.p99), String(l.p999), String(l.max)];
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.0001 ? 4 : 2)}%`;
}

export function fmtCounts(m: Record<string, number>): string {
  return Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function grid(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
