import { parseArgs } from 'node:util';
import { LoadTestError } from './errors';
import type { LoadOptions } from './options';
import { loadScenarioFile } from './scenario';

export const USAGE = `Usage: pnpm loadtest --url <url[,url...]> [options]

  --url <list>            server base URL(s), comma-separated; members spread round-robin
  --scenario <name>       chatty | huge-room | idle | churn | history   (default chatty)
  --scenario-file <path>  JSON scenario (see README), validated
  --rooms <n>             rooms
  --clients <n>           members per room
  --rate <n>              messages per second per room (ramp: start rate)
  --duration <s>          measured seconds (ramp: seconds per step unless --ramp-step)
  --warmup <s>            unmeasured seconds before
  --message-bytes <n>     content length
  --ramp                  step the rate up until a bound breaks; report the last good step
  --ramp-factor <x>       rate multiplier per step (default 2)
  --ramp-steps <n>        at most this many steps (default 8)
  --ramp-step <s>         seconds per step
  --ramp-retries <n>      runs of a step broken by p99 or saturation before the ramp ends (default 1; loss ends it at once)
  --p99-max-ms <ms>       end-to-end p99 bound (default 50)
  --loss-max <ratio>      loss bound, e.g. 0.001 (default)
  --transport <t>         websocket | polling (default websocket)
  --parser <p>            json | msgpack (must match the server's SOCKET_PARSER)
  --delivery <d>          each | batch: one \`message\` frame per message (default), or the server's batched \`messages\` frames
  --send-phases <p>       spread | aligned: rooms send at their own phase of the period (default), or all at the same instants (bursts)
  --workers <n>           load worker processes (default: cores; 0 = in-process)
  --out <dir>             write loadtest-<id>.json and .html here (default ./loadtest-reports)
  --server-pid <pid>      sample this process's RSS (server on this machine)
  --drain-timeout <ms>    wait for in-flight acks/deliveries after a step (default 5000)
  --ack-timeout <ms>      per request (default 10000)
  --connect-timeout <ms>  per session/connect (default 10000)
  --connect-concurrency <n>  parallel connects per worker (default 50)
  --quiet                 no progress line
  -h, --help
`;

export interface CliOptions {
  load: LoadOptions;
  quiet: boolean;
  help: boolean;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new LoadTestError('bad_options', `--${name} must be a number (got "${v}")`);
  return n;
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new LoadTestError('bad_options', `--${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

/** argv (without node and script) -> options; throws `bad_options`. */
export function parseCliArgs(argv: string[]): CliOptions {
  let v;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        scenario: { type: 'string' },
        'scenario-file': { type: 'string' },
        rooms: { type: 'string' },
        clients: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        'message-bytes': { type: 'string' },
        ramp: { type: 'boolean' },
        'ramp-factor': { type: 'string' },
        'ramp-steps': { type: 'string' },
        'ramp-step': { type: 'string' },
        'ramp-retries': { type: 'string' },
        'p99-max-ms': { type: 'string' },
        'loss-max': { type: 'string' },
        transport: { type: 'string' },
        parser: { type: 'string' },
        delivery: { type: 'string' },
        'send-phases': { type: 'string' },
        workers: { type: 'string' },
        out: { type: 'string' },
        'server-pid': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'ack-timeout': { type: 'string' },
        'connect-timeout': { type: 'string' },
        'connect-concurrency': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new LoadTestError('bad_options', (err as Error).message);
  }
  if (v.help) return { load: { urls: [] }, quiet: true, help: true };
  if (!v.url) throw new LoadTestError('bad_options', '--url is required');
  if (v.scenario && v['scenario-file']) throw new LoadTestError('bad_options', 'use --scenario or --scenario-file, not both');
  const load: LoadOptions = {
    urls: v.url
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean),
    scenario: v['scenario-file'] ? loadScenarioFile(v['scenario-file']) : (v.scenario ?? 'chatty'),
    outDir: v.out ?? 'loadtest-reports',
  };
  const set = <K extends keyof LoadOptions>(k: K, val: LoadOptions[K] | undefined) => {
    if (val !== undefined) load[k] = val;
  };
  set('rooms', num('rooms', v.rooms));
  set('clientsPerRoom', num('clients', v.clients));
  set('ratePerRoom', num('rate', v.rate));
  set('durationSec', num('duration', v.duration));
  set('warmupSec', num('warmup', v.warmup));
  set('messageBytes', num('message-bytes', v['message-bytes']));
  if (v.ramp) {
    const r: { factor?: number; maxSteps?: number; stepSec?: number; retries?: number } = {};
    const f = num('ramp-factor', v['ramp-factor']);
    const s = num('ramp-steps', v['ramp-steps']);
    const d = num('ramp-step', v['ramp-step']);
    if (f !== undefined) r.factor = f;
    if (s !== undefined) r.maxSteps = s;
    if (d !== undefined) r.stepSec = d;
    const retries = num('ramp-retries', v['ramp-retries']);
    if (retries !== undefined) r.retries = retries;
    load.ramp = r;
  }
  set('p99MaxMs', num('p99-max-ms', v['p99-max-ms']));
  set('lossMax', num('loss-max', v['loss-max']));
  set('transport', oneOf('transport', v.transport, ['websocket', 'polling'] as const));
  set('parser', oneOf('parser', v.parser, ['json', 'msgpack'] as const));
  set('delivery', oneOf('delivery', v.delivery, ['each', 'batch'] as const));
  set('sendPhases', oneOf('send-phases', v['send-phases'], ['spread', 'aligned'] as const));
  set('workers', num('workers', v.workers));
  set('serverPid', num('server-pid', v['server-pid']));
  set('drainTimeoutMs', num('drain-timeout', v['drain-timeout']));
  set('ackTimeoutMs', num('ack-timeout', v['ack-timeout']));
  set('connectTimeoutMs', num('connect-timeout', v['connect-timeout']));
  set('connectConcurrency', num('connect-concurrency', v['connect-concurrency']));
  return { load, quiet: v.quiet ?? false, help: false };
}
