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
