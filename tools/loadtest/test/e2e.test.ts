import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandalone } from '@chat/standalone';
import { runLoad } from '../src';
import type { LoadOptions, LoadReport } from '../src';

/**
 * An embedded server (SQLite, in-memory presence) with `env`, and one bounded
 * load against it: 2 rooms x 3 members, one forked worker. Every member of a
 * room, the sender included, receives each message, so delivered = sent x 3.
 */
function embeddedLoad(name: string, env: Record<string, string>, load: Partial<LoadOptions>) {
  const dir = mkdtempSync(join(tmpdir(), `loadtest-${name}-`));
  const run: { server?: Awaited<ReturnType<typeof startStandalone>>; report?: LoadReport; dir: string } = { dir };

  beforeAll(async () => {
    run.server = await startStandalone({ PORT: '0', METRICS_PORT: '0', DATA_DIR: dir, MESSAGE_RATE_LIMIT: '100000/1', LOG_LEVEL: 'error', ...env });
    run.report = await runLoad({
      urls: [run.server.url],
      rooms: 2,
      clientsPerRoom: 3,
      warmupSec: 0,
      workers: 1,
      outDir: join(dir, 'out'),
      // Generous bounds: on a busy shared box the first session request alone can take seconds.
      // They only bound waiting; the assertions stay exact.
      connectTimeoutMs: 30_000,
      ackTimeoutMs: 30_000,
      drainTimeoutMs: 10_000,
      quietMs: 1000,
      ...load,
    });
  }, 240_000);

  afterAll(async () => {
    await run.server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return run;
}

/** 20 msg/s per room for 2 s, one message per frame. */
describe('runLoad against an embedded server', () => {
  const run = embeddedLoad('e2e', {}, { ratePerRoom: 20, durationSec: 2, serverPid: process.pid });
  let report: LoadReport;
  beforeAll(() => {
    report = run.report!;
  });

  it('delivers every message to every member, once and in order', () => {
    const t = report.totals;
    expect(report.connections).toMatchObject({ target: 6, connected: 6, failed: 0 });
    expect(t.sent).toBeGreaterThanOrEqual(70); // 2 rooms x 20/s x 2 s = 80, minus scheduler rounding
    expect(t.acked).toBe(t.sent);
    expect(t.failed).toBe(0);
    expect(t.delivered).toBe(t.sent * 3);
    expect(t.expectedDeliveries).toBe(t.sent * 3);
    expect(t.lost).toBe(0);
    expect(t.duplicates).toBe(0);
    expect(t.orderViolations).toBe(0);
    expect(t.missingSeqs).toBe(0);
    expect(t.unexpectedDisconnects).toBe(0);
    expect(report.result?.e2e.count).toBe(t.sent * 3);
    expect(report.result?.ack.count).toBe(t.sent);
    expect(report.receivers).toBe('all-members-including-sender');
    expect(report.server?.rssMbPeak).toBeGreaterThan(0);
  });

  it('writes the JSON and HTML reports', () => {
    const files = report.files!;
    expect(existsSync(files.json) && existsSync(files.html)).toBe(true);
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as LoadReport;
    expect(json.runId).toBe(report.runId);
    expect(json.totals.sent).toBe(report.totals.sent);
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('End-to-end latency per second');
    expect(html).not.toMatch(/<script|<link|src=|href=/); // self-contained: nothing to fetch
  });
});

/**
 * The same count checks with `--delivery batch`: members receive `messages`
 * frames, and the harness still counts every message in them exactly once.
 * 100 msg/s per room against a 50 ms window, so frames do carry several.
 */
describe('runLoad with batched delivery', () => {
  const run = embeddedLoad('e2e-batch', { DELIVERY_BATCH_MS: '50' }, { ratePerRoom: 100, durationSec: 1, delivery: 'batch' });
  let report: LoadReport;
  let server: { url: string; metricsUrl: string };
  beforeAll(() => {
    report = run.report!;
    server = run.server!;
  });

  it('counts every batched message once: no loss, no duplicates, in order, in fewer frames', async () => {
    const t = report.totals;
    expect(report.settings.delivery).toBe('batch');
    expect(t.sent).toBeGreaterThanOrEqual(150);
    expect(t.acked).toBe(t.sent);
    expect(t.delivered).toBe(t.sent * 3);
    expect(t.expectedDeliveries).toBe(t.sent * 3);
    expect([t.lost, t.duplicates, t.orderViolations, t.missingSeqs]).toEqual([0, 0, 0, 0]);
    const metrics = await (await fetch(`${server!.metricsUrl}/metrics`)).text();
    const counter = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(metrics)?.[1]);
    expect(counter('chat_message_frames_out_total')).toBeLessThan(counter('chat_messages_out_total'));
    // Every send passed the admit stage once; every stored message (joins and leaves too) the seq and commit stages.
    const stages = Object.fromEntries(
      ['admit', 'seq', 'commit'].map((stage) => [
        stage,
        Number(new RegExp(`^chat_send_stage_seconds_count\\{[^}]*stage="${stage}"[^}]*\\} (\\d+)`, 'm').exec(metrics)?.[1]),
      ]),
    );
    expect(stages.admit).toBe(t.sent);
    expect(stages.commit).toBe(stages.seq);
    expect(stages.seq).toBeGreaterThan(t.sent);
  });
});
