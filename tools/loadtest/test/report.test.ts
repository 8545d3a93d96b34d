import { renderHtml } from '../src/report/html';
import { renderTable } from '../src/report/table';
import type { LoadReport, StepSummary } from '../src/report/types';
import { presetScenario } from '../src/scenario';

const lat = { count: 10, p50: 1, p90: 2, p99: 3, p999: 4, max: 5, mean: 1.5 };
const step: StepSummary = {
  step: 0,
  rate: 10,
  durationSec: 5,
  sent: 100,
  acked: 100,
  failed: 0,
  delivered: 290,
  expectedDeliveries: 300,
  lost: 10,
  lossRatio: 10 / 300,
  membersWithLoss: 2,
  sendsPerSec: 20,
  deliveriesPerSec: 58,
  e2e: lat,
  ack: lat,
  history: { ...lat, count: 0 },
  join: { ...lat, count: 0 },
  churnCycles: 0,
  unackedAtDrain: 0,
  errors: { rate_limited: 2 },
  generatorSaturated: true,
  ok: false,
  breaks: ['loss', 'generator_saturated'],
};
const report: LoadReport = {
  version: 1,
  runId: 'abc123',
  startedAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:00:10.000Z',
  scenario: { ...presetScenario('chatty'), name: '<b>x</b>' },
  settings: {
    urls: ['http://127.0.0.1:1'],
    transport: 'websocket',
    parser: 'json',
    delivery: 'each',
    workers: 2,
    ramp: false,
    p99MaxMs: 50,
    lossMax: 0.001,
    drainTimeoutMs: 5000,
  },
  receivers: 'all-members-including-sender',
  connections: { target: 6, connected: 5, failed: 1, errors: { session_timeout: 1 }, session: lat, connect: lat, join: lat },
  steps: [step],
  result: step,
  totals: {
    sent: 100,
    acked: 100,
    failed: 0,
    expectedDeliveries: 300,
    delivered: 290,
    lost: 10,
    lossRatio: 10 / 300,
    duplicates: 1,
    orderViolations: 2,
    gapEvents: 1,
    missingSeqs: 3,
    deliveredTotal: 290,
    unexpectedDisconnects: 0,
    errors: { rate_limited: 2 },
    members: {
      withLoss: 2,
      withDuplicates: 1,
      withOrderViolations: 1,
      withGaps: 1,
      unlisted: 0,
      findings: [
        { member: 1, room: 0, lost: 9, duplicates: 1, orderViolations: 0, gapEvents: 0, missingSeqs: 0 },
        { member: 4, room: 1, lost: 1, duplicates: 0, orderViolations: 2, gapEvents: 1, missingSeqs: 3 },
      ],
    },
  },
  workers: [{ worker: 0, clients: 3, connected: 3, maxLoopP99Ms: 45, maxCpuPct: 97, saturatedSeconds: 2, saturated: true }],
  generatorSaturated: true,
  timeline: [0, 1, 2].map((t) => ({
    t,
    sent: 20,
    acked: 20,
    delivered: 58,
    errors: 0,
    connected: 5,
    e2eP50: 1,
    e2eP99: 3 + t,
    ackP99: 2,
    loopP99MaxMs: 5,
    cpuMaxPct: 50,
  })),
};

describe('report rendering', () => {
  it('prints the findings in the table', () => {
    const t = renderTable(report);
    expect(t).toContain('connected 5/6');
    expect(t).toContain('loss 10/300 (3.33%)  duplicates 1  order violations 2');
    expect(t).toContain('members: 2 with loss, 1 with duplicates, 1 with order violations, 1 with gaps');
    expect(t).toContain('member 4 (room 1): lost 1, duplicates 0, order violations 2, gaps 1 (missing seqs 3)');
    expect(t).toContain('broke: loss+generator_saturated');
    expect(t).toContain('SATURATED');
  });

  it('renders a self-contained HTML page with escaped text and both plots', () => {
    const h = renderHtml(report);
    expect(h).toContain('&#60;b&#62;x&#60;/b&#62;');
    expect(h).not.toContain('<b>x</b>');
    expect((h.match(/<svg/g) ?? []).length).toBe(4);
    expect(h).toContain('Throughput per second');
    expect(h).toContain('Members with findings');
    expect(h).toContain('<tr><td>4</td><td>1</td><td>1</td><td>0</td><td>2</td><td>1</td><td>3</td></tr>');
    expect(h).not.toMatch(/<script|<link|src=|href=/);
  });
});
