import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCliArgs } from '../src/args';
import { LoadTestError } from '../src/errors';
import { resolveOptions } from '../src/options';
import { churnersPerRoom, localRate, planClients } from '../src/plan';
import { PRESET_NAMES, parseScenario, presetScenario } from '../src/scenario';

describe('scenarios', () => {
  it('has valid presets, including a 5,000-member room', () => {
    for (const n of PRESET_NAMES) expect(presetScenario(n).name).toBe(n);
    expect(presetScenario('huge-room')).toMatchObject({ rooms: 1, clientsPerRoom: 5000 });
    expect(presetScenario('idle').ratePerRoom).toBe(0);
  });

  it('rejects unknown presets and bad files with the field named', () => {
    expect(() => presetScenario('nope')).toThrow(LoadTestError);
    expect(() => parseScenario({ rooms: 0, clientsPerRoom: 1, ratePerRoom: 1 })).toThrow(/rooms/);
    expect(() => parseScenario({ rooms: 1, clientsPerRoom: 1, ratePerRoom: 1, extra: true })).toThrow(LoadTestError);
    expect(() => parseScenario({ rooms: 1, clientsPerRoom: 2, ratePerRoom: 1, churn: { fraction: 2, intervalMs: 100 } })).toThrow(/churn\.fraction/);
  });
});

describe('CLI flags', () => {
  it('maps flags onto options', () => {
    const c = parseCliArgs([
      '--url',
      'http://a:1,http://b:2',
      '--scenario',
      'huge-room',
      '--clients',
      '100',
      '--rate',
      '3',
      '--ramp',
      '--ramp-factor',
      '1.5',
      '--p99-max-ms',
      '80',
      '--transport',
      'polling',
      '--parser',
      'msgpack',
      '--delivery',
      'batch',
      '--workers',
      '3',
      '--out',
      '/tmp/x',
      '--server-pid',
      '123',
    ]);
    expect(c.load).toMatchObject({
      urls: ['http://a:1', 'http://b:2'],
      scenario: 'huge-room',
      clientsPerRoom: 100,
      ratePerRoom: 3,
      ramp: { factor: 1.5 },
      p99MaxMs: 80,
      transport: 'polling',
      parser: 'msgpack',
      delivery: 'batch',
      workers: 3,
      outDir: '/tmp/x',
      serverPid: 123,
    });
    const r = resolveOptions(c.load);
    expect(r.scenario).toMatchObject({ name: 'huge-room', clientsPerRoom: 100, ratePerRoom: 3 });
    expect(r.ramp).toEqual({ factor: 1.5, maxSteps: 8, stepSec: r.scenario.durationSec, retries: 1 });
    expect(r.delivery).toBe('batch');
    expect(resolveOptions(parseCliArgs(['--url', 'http://a:1', '--ramp', '--ramp-retries', '0']).load).ramp?.retries).toBe(0);
    expect(resolveOptions(parseCliArgs(['--url', 'http://a:1']).load).delivery).toBe('each');
    expect(() => parseCliArgs(['--url', 'http://a:1', '--delivery', 'some'])).toThrow(/delivery/);
  });

  it('reads and validates a scenario file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-opt-'));
    try {
      const f = join(dir, 's.json');
      writeFileSync(f, JSON.stringify({ name: 'mine', rooms: 3, clientsPerRoom: 4, ratePerRoom: 1, history: { ratePerRoom: 2 } }));
      const c = parseCliArgs(['--url', 'http://x:1', '--scenario-file', f]);
      expect(resolveOptions(c.load).scenario).toMatchObject({ name: 'mine', rooms: 3, history: { ratePerRoom: 2, limit: 50 } });
      writeFileSync(f, JSON.stringify({ rooms: 'many' }));
      expect(() => parseCliArgs(['--url', 'http://x:1', '--scenario-file', f])).toThrow(/rooms/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad flags', () => {
    expect(() => parseCliArgs([])).toThrow(/--url/);
    expect(() => parseCliArgs(['--url', 'http://x', '--rate', 'fast'])).toThrow(/rate/);
    expect(() => parseCliArgs(['--url', 'http://x', '--transport', 'udp'])).toThrow(/transport/);
    expect(() => parseCliArgs(['--url', 'http://x', '--bogus'])).toThrow(LoadTestError);
    expect(() => resolveOptions({ urls: ['ftp://x'] })).toThrow(/http/);
  });
});

describe('plan', () => {
  it('spreads members round-robin over workers and urls, rate shared by talkers', () => {
    const plan = planClients({ runId: 'abc', rooms: 2, clientsPerRoom: 3, urls: ['u1', 'u2'], workers: 2, churnFraction: 0 });
    expect(plan.map((w) => w.length)).toEqual([3, 3]);
    expect(
      plan
        .flat()
        .map((c) => c.url)
        .filter((u) => u === 'u1'),
    ).toHaveLength(3);
    expect(new Set(plan.flat().map((c) => c.chatroomName)).size).toBe(2);
    expect(plan.flat().every((c) => c.nickName.length <= 32)).toBe(true);
    expect(localRate(10, 1, 4)).toBe(2.5);
    expect(localRate(10, 0, 4)).toBe(0);
  });

  it('keeps at least one talker per room when churning', () => {
    expect(churnersPerRoom(10, 0.5)).toBe(5);
    expect(churnersPerRoom(2, 1)).toBe(1);
    expect(churnersPerRoom(10, 0)).toBe(0);
  });
});
