import { availableParallelism } from 'node:os';
import { LoadTestError } from './errors';
import type { Scenario } from './scenario';
import { parseScenario, presetScenario } from './scenario';

export interface ProgressSnapshot {
  /** Seconds since members started coming online. */
  elapsedSec: number;
  phase: string;
  connected: number;
  target: number;
  sentPerSec: number;
  deliveredPerSec: number;
  errorsPerSec: number;
  e2eP99Ms: number;
  inflight: number;
  saturatedWorkers: number;
}

export interface LoadOptions {
  /** Server base URLs (load balancer or nodes); members are spread round-robin. */
  urls: string[];
  /** A preset name or a parsed scenario; default `chatty`. */
  scenario?: string | Scenario;
  /** Overrides of the scenario. */
  rooms?: number;
  clientsPerRoom?: number;
  ratePerRoom?: number;
  durationSec?: number;
  warmupSec?: number;
  messageBytes?: number;
  /** Step the rate up (from ratePerRoom, times `factor`) until a bound breaks. */
  ramp?: boolean | { factor?: number; maxSteps?: number; stepSec?: number; retries?: number };
  /** Bounds: end-to-end p99 (default 50 ms) and loss ratio (default 0.001). */
  p99MaxMs?: number;
  lossMax?: number;
  transport?: 'websocket' | 'polling';
  parser?: 'json' | 'msgpack';
  /** `each` (default): one `message` event per message; `batch`: the server's batched `messages` frames. */
  delivery?: 'each' | 'batch';
  /**
   * `spread` (default): each room sends at its own phase of the period, as independent rooms do;
   * `aligned`: every room at the same instants, so the load arrives in bursts of every room at once.
   */
  sendPhases?: 'spread' | 'aligned';
  /** Worker processes; default the number of cores; 0 runs the load inside this process. */
  workers?: number;
  /** Writes report.json and report.html here. */
  outDir?: string;
  /** Samples this process's RSS (the server under test, same machine). */
  serverPid?: number;
  connectConcurrency?: number;
  connectTimeoutMs?: number;
  ackTimeoutMs?: number;
  /** How long to wait for in-flight acks and deliveries after a step (default 5000). */
  drainTimeoutMs?: number;
  quietMs?: number;
  /** Worker saturation thresholds (default 20 ms event-loop p99, 90% CPU). */
  loopP99MaxMs?: number;
  cpuMaxPct?: number;
  /** Called about once per second. */
  onProgress?: (p: ProgressSnapshot) => void;
  signal?: AbortSignal;
}

export interface ResolvedOptions {
  urls: string[];
  scenario: Scenario;
  ramp: { factor: number; maxSteps: number; stepSec: number; retries: number } | undefined;
  p99MaxMs: number;
  lossMax: number;
  transport: 'websocket' | 'polling';
  parser: 'json' | 'msgpack';
  delivery: 'each' | 'batch';
  sendPhases: 'spread' | 'aligned';
  workers: number;
  outDir: string | undefined;
  serverPid: number | undefined;
  connectConcurrency: number;
  connectTimeoutMs: number;
  ackTimeoutMs: number;
  drainTimeoutMs: number;
  quietMs: number;
  loopP99MaxMs: number;
  cpuMaxPct: number;
}

function positive(name: string, v: number | undefined, dflt: number, min = 0): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x < min) throw new LoadTestError('bad_options', `${name} must be a number >= ${min} (got ${v})`);
  return x;
}

/** Applies defaults and overrides; throws `bad_options` with the offending field. */
export function resolveOptions(o: LoadOptions): ResolvedOptions {
  if (!o.urls || o.urls.length === 0) throw new LoadTestError('bad_options', 'at least one --url is required');
  for (const u of o.urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new LoadTestError('bad_options', `not a URL: ${u}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LoadTestError('bad_options', `url must be http(s): ${u}`);
  }
  const base = typeof o.scenario === 'object' ? o.scenario : presetScenario(o.scenario ?? 'chatty');
  const scenario = parseScenario(
    {
      ...base,
      ...(o.rooms !== undefined ? { rooms: o.rooms } : {}),
      ...(o.clientsPerRoom !== undefined ? { clientsPerRoom: o.clientsPerRoom } : {}),
      ...(o.ratePerRoom !== undefined ? { ratePerRoom: o.ratePerRoom } : {}),
      ...(o.durationSec !== undefined ? { durationSec: o.durationSec } : {}),
      ...(o.warmupSec !== undefined ? { warmupSec: o.warmupSec } : {}),
      ...(o.messageBytes !== undefined ? { messageBytes: o.messageBytes } : {}),
    },
    'options',
  );
  let ramp: ResolvedOptions['ramp'];
  if (o.ramp) {
    const r = typeof o.ramp === 'object' ? o.ramp : {};
    if (!(scenario.ratePerRoom > 0)) throw new LoadTestError('bad_options', '--ramp needs a start --rate > 0');
    ramp = {
      factor: positive('ramp factor', r.factor, 2, 1.01),
      maxSteps: Math.floor(positive('ramp steps', r.maxSteps, 8, 1)),
      stepSec: positive('ramp step seconds', r.stepSec, scenario.durationSec, 0.1),
      retries: Math.floor(positive('ramp retries', r.retries, 1, 0)),
    };
  }
  const workers = Math.floor(positive('workers', o.workers, availableParallelism(), 0));
  return {
    urls: o.urls.map((u) => u.replace(/\/+$/, '')),
    scenario,
    ramp,
    p99MaxMs: positive('p99-max-ms', o.p99MaxMs, 50),
    lossMax: positive('loss-max', o.lossMax, 0.001),
    transport: o.transport ?? 'websocket',
    parser: o.parser ?? 'json',
    delivery: o.delivery ?? 'each',
    sendPhases: o.sendPhases ?? 'spread',
    workers: Math.min(workers, scenario.rooms * scenario.clientsPerRoom),
    outDir: o.outDir,
    serverPid: o.serverPid,
    connectConcurrency: Math.floor(positive('connect concurrency', o.connectConcurrency, 50, 1)),
    connectTimeoutMs: positive('connect timeout', o.connectTimeoutMs, 10_000, 100),
    ackTimeoutMs: positive('ack timeout', o.ackTimeoutMs, 10_000, 100),
    drainTimeoutMs: positive('drain timeout', o.drainTimeoutMs, 5_000, 0),
    quietMs: positive('quiet ms', o.quietMs, 300, 0),
    loopP99MaxMs: positive('loop p99 max', o.loopP99MaxMs, 20, 0),
    cpuMaxPct: positive('cpu max', o.cpuMaxPct, 90, 0),
  };
}
