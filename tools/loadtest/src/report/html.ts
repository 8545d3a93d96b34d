import type { LatencySummary } from '../hist';
import { lineChart } from './svg';
import { fmtCounts, pct } from './table';
import type { LoadReport } from './types';

/** Members listed one by one in the page (the JSON report lists them all). */
const MEMBERS_SHOWN = 100;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** One self-contained HTML file: inline CSS and SVG, no scripts, no network. */
export function renderHtml(r: LoadReport): string {
  const tl = r.timeline;
  const latency = lineChart('End-to-end latency per second', 'ms', [
    { name: 'p50', color: '#1f77b4', points: tl.map((p) => [p.t, p.e2eP50]) },
    { name: 'p99', color: '#d62728', points: tl.map((p) => [p.t, p.e2eP99]) },
    { name: 'ack p99', color: '#2ca02c', points: tl.map((p) => [p.t, p.ackP99]) },
  ]);
  const throughput = lineChart('Throughput per second', 'per second', [
    { name: 'sent', color: '#1f77b4', points: tl.map((p) => [p.t, p.sent]) },
    { name: 'delivered', color: '#ff7f0e', points: tl.map((p) => [p.t, p.delivered]) },
    { name: 'errors', color: '#d62728', points: tl.map((p) => [p.t, p.errors]) },
  ]);
  const conns = lineChart('Connected members' + (r.server ? ' and server RSS (MB)' : ''), 'count', [
    { name: 'connected', color: '#9467bd', points: tl.map((p) => [p.t, p.connected]) },
    ...(r.server
      ? [{ name: 'server RSS MB', color: '#8c564b', points: tl.filter((p) => p.serverRssMb !== undefined).map((p): [number, number] => [p.t, p.serverRssMb!]) }]
      : []),
  ]);
  const gen = lineChart('Load generator health (max over workers)', 'ms / %', [
    { name: 'event-loop p99 ms', color: '#17becf', points: tl.map((p) => [p.t, p.loopP99MaxMs]) },
    { name: 'CPU %', color: '#7f7f7f', points: tl.map((p) => [p.t, p.cpuMaxPct]) },
  ]);
  const c = r.connections;
  const t = r.totals;
  const lat = (name: string, l: LatencySummary) =>
    `<tr><td>${esc(name)}</td><td>${l.count}</td><td>${l.p50}</td><td>${l.p90}</td><td>${l.p99}</td><td>${l.p999}</td><td>${l.max}</td></tr>`;
  const res = r.result;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Load test ${esc(r.runId)} - ${esc(r.scenario.name)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:940px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}.bad{color:#b00;font-weight:bold}.ok{color:#070}
svg{display:block;margin:8px 0 20px;background:#fff}
</style></head><body>
<h1>Load test ${esc(r.runId)}: ${esc(r.scenario.name)}</h1>
<p>${esc(r.startedAt)} to ${esc(r.finishedAt)}. ${r.scenario.rooms} rooms x ${r.scenario.clientsPerRoom} members, ${r.scenario.ratePerRoom} msg/s per room${r.settings.ramp ? ' (ramp start)' : ''}, ${r.scenario.durationSec} s measured after ${r.scenario.warmupSec} s warmup. Transport ${esc(r.settings.transport)}, parser ${esc(r.settings.parser)}, delivery ${esc(r.settings.delivery)}, ${r.settings.workers} worker(s). Targets: ${r.settings.urls.map(esc).join(', ')}.</p>
<p>Every member of a room, the sender included, is a receiver of each message.</p>
${r.generatorSaturated ? '<p class="bad">A load worker was saturated: latencies include the generator\'s own delay.</p>' : ''}
<h2>Summary</h2>
<table><tr><th>connected</th><td>${c.connected}/${c.target}${c.failed ? ` <span class="bad">(${c.failed} failed: ${esc(fmtCounts(c.errors))})</span>` : ''}</td></tr>
<tr><th>sent / acked / failed</th><td>${t.sent} / ${t.acked} / ${t.failed}</td></tr>
<tr><th>deliveries expected / received</th><td>${t.expectedDeliveries} / ${t.expectedDeliveries - t.lost}</td></tr>
<tr><th>lost</th><td class="${t.lost ? 'bad' : 'ok'}">${t.lost} (${pct(t.lossRatio)})</td></tr>
<tr><th>duplicates</th><td class="${t.duplicates ? 'bad' : 'ok'}">${t.duplicates}</td></tr>
<tr><th>order violations / gaps (missing seqs)</th><td class="${t.orderViolations || t.missingSeqs ? 'bad' : 'ok'}">${t.orderViolations} / ${t.gapEvents} (${t.missingSeqs})</td></tr>
<tr><th>members with loss / duplicates / order violations / gaps</th><td class="${t.members.findings.length || t.members.unlisted ? 'bad' : 'ok'}">${t.members.withLoss} / ${t.members.withDuplicates} / ${t.members.withOrderViolations} / ${t.members.withGaps}</td></tr>
<tr><th>unexpected disconnects</th><td>${t.unexpectedDisconnects}</td></tr>
<tr><th>errors</th><td>${esc(fmtCounts(t.errors) || 'none')}</td></tr>
${r.ramp ? `<tr><th>ramp: last good rate</th><td>${r.ramp.lastGoodRate ?? 'none'} msg/s/room (stopped: ${esc(r.ramp.stoppedBecause)})</td></tr>` : ''}
${r.server ? `<tr><th>server RSS peak / end</th><td>${r.server.rssMbPeak ?? '?'} / ${r.server.rssMbEnd ?? '?'} MB</td></tr>` : ''}
</table>
${
  t.members.findings.length
    ? `<h2>Members with findings</h2>
<table><tr><th>member</th><th>room</th><th>lost</th><th>duplicates</th><th>order violations</th><th>gaps</th><th>missing seqs</th></tr>
${t.members.findings
  .slice(0, MEMBERS_SHOWN)
  .map(
    (f) =>
      `<tr><td>${f.member}</td><td>${f.room}</td><td>${f.lost}</td><td>${f.duplicates}</td><td>${f.orderViolations}</td><td>${f.gapEvents}</td><td>${f.missingSeqs}</td></tr>`,
  )
  .join('\n')}
</table>${t.members.findings.length > MEMBERS_SHOWN || t.members.unlisted ? `<p>${t.members.findings.length - MEMBERS_SHOWN + t.members.unlisted} more in the JSON report.</p>` : ''}`
    : ''
}
<h2>Latency (ms)</h2>
<table><tr><th></th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>
${lat('session (POST)', c.session)}${lat('connect', c.connect)}${lat('join', c.join)}
${res ? lat('ack', res.ack) + lat('end-to-end', res.e2e) : ''}${res && res.history.count ? lat('history', res.history) : ''}
</table>
<h2>Steps</h2>
<table><tr><th>step</th><th>rate/room</th><th>sent</th><th>acked</th><th>delivered</th><th>expected</th><th>lost</th><th>deliveries/s</th><th>e2e p50</th><th>e2e p99</th><th>ack p99</th><th>verdict</th></tr>
${r.steps.map((s) => `<tr><td>${s.step}</td><td>${s.rate}</td><td>${s.sent}</td><td>${s.acked}</td><td>${s.delivered}</td><td>${s.expectedDeliveries}</td><td>${s.lost}</td><td>${s.deliveriesPerSec}</td><td>${s.e2e.p50}</td><td>${s.e2e.p99}</td><td>${s.ack.p99}</td><td class="${s.ok ? 'ok' : 'bad'}">${s.ok ? 'ok' : esc(s.breaks.join('+'))}</td></tr>`).join('\n')}
</table>
<h2>Over time</h2>
${latency}
${throughput}
${conns}
${gen}
<h2>Workers</h2>
<table><tr><th>worker</th><th>members</th><th>event-loop p99 max (ms)</th><th>CPU max (%)</th><th>saturated seconds</th></tr>
${r.workers.map((w) => `<tr><td>${w.worker}</td><td>${w.connected}/${w.clients}</td><td>${w.maxLoopP99Ms}</td><td>${w.maxCpuPct}</td><td class="${w.saturated ? 'bad' : ''}">${w.saturatedSeconds}</td></tr>`).join('\n')}
</table>
</body></html>
`;
}
