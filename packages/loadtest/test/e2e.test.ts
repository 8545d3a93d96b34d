import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandalone } from '@chat/standalone';
import { runLoad } from '../src';
import type { LoadReport } from '../src';

/**
 * A small bounded load against an embedded server (SQLite, in-memory presence):
 * 2 rooms x 3 members x 20 msg/s x 2 s, one forked worker. Every member of a
 * room, the sender included, receives each message, so delivered = sent x 3.
 */
describe('runLoad against an embedded server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-e2e-'));
  let server: Awaited<ReturnType<typeof startStandalone>> | undefined;
  let report: LoadReport;

  beforeAll(async () => {
    server = await startStandalone({ PORT: '0', DATA_DIR: dir, MESSAGE_RATE_LIMIT: '100000/1', LOG_LEVEL: 'error' });
    report = await runLoad({
      urls: [server.url],
      rooms: 2,
      clientsPerRoom: 3,
      ratePerRoom: 20,
      durationSec: 2,
      warmupSec: 0,
      workers: 1,
      outDir: join(dir, 'out'),
      serverPid: process.pid,
      // Generous bounds: on a busy shared box the first session request alone can take seconds.
      // They only bound waiting; the assertions below stay exact.
      connectTimeoutMs: 30_000,
      ackTimeoutMs: 30_000,
      drainTimeoutMs: 10_000,
      quietMs: 1000,
    });
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
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
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-e2e-batch-'));
  let server: Awaited<ReturnType<typeof startStandalone>> | undefined;
  let report: LoadReport;

  beforeAll(async () => {
    server = await startStandalone({ PORT: '0', DATA_DIR: dir, MESSAGE_RATE_LIMIT: '100000/1', LOG_LEVEL: 'error', DELIVERY_BATCH_MS: '50' });
    report = await runLoad({
      urls: [server.url],
      rooms: 2,
      clientsPerRoom: 3,
      ratePerRoom: 100,
      durationSec: 1,
      warmupSec: 0,
      workers: 1,
      delivery: 'batch',
      connectTimeoutMs: 30_000,
      ackTimeoutMs: 30_000,
      drainTimeoutMs: 10_000,
      quietMs: 1000,
    });
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every batched message once: no loss, no duplicates, in order, in fewer frames', async () => {
    const t = report.totals;
    expect(report.settings.delivery).toBe('batch');
    expect(t.sent).toBeGreaterThanOrEqual(150);
    expect(t.acked).toBe(t.sent);
    expect(t.delivered).toBe(t.sent * 3);
    expect(t.expectedDeliveries).toBe(t.sent * 3);
    expect([t.lost, t.duplicates, t.orderViolations, t.missingSeqs]).toEqual([0, 0, 0, 0]);
    const metrics = await (await fetch(`${server!.url}/metrics`)).text();
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
