import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { freePort } from '@chat/devcluster';
import { knexConfig, migrateLatest } from '@chat/store';
import { dropRedisKeys, randomSuffix, tempMysqlDatabase } from '@chat/testkit';
import { builtEntry, rssMb } from './deployment';
import { fmt, machine, table, writeSection } from './markdown';

const ROOT = path.resolve(__dirname, '../../..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Starts per variant and node kind. */
const RUNS = 5;
/** How long a ready node sits idle before its RSS is read (a few presence heartbeats). */
const IDLE_MS = 5_000;
const READY_TIMEOUT_MS = 120_000;

type Kind = 'socket' | 'api';
type Variant = 'tsx, cold cache' | 'tsx, warm cache' | 'built';
const KINDS: Kind[] = ['socket', 'api'];
const VARIANTS: Variant[] = ['tsx, cold cache', 'tsx, warm cache', 'built'];

interface Sample {
  readyMs: number;
  rssMb: number;
}

/** How each variant starts a node: the old image ran `node --import tsx` on an empty /tmp (tsx's cache); today's runs the bundle. */
function command(kind: Kind, variant: Variant): { args: string[]; env: Record<string, string> } {
  if (variant === 'built') return { args: [builtEntry(kind)], env: {} };
  const args = ['--import', 'tsx', `services/${kind}/src/main.ts`];
  return { args, env: variant === 'tsx, cold cache' ? { TSX_DISABLE_CACHE: '1' } : {} };
}

/** One GET of /readyz: its status, or 0 when nothing answers yet. */
function readyStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/readyz`, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Spawns one node, times spawn to the first /readyz 200 (polled every 10 ms), reads its RSS after IDLE_MS, stops it. */
async function measure(kind: Kind, variant: Variant, env: Record<string, string>, logDir: string): Promise<Sample> {
  const port = await freePort();
  const metricsPort = await freePort();
  const { args, env: extra } = command(kind, variant);
  const log = fs.openSync(path.join(logDir, `${kind}-${variant.replace(/\W+/g, '-')}.log`), 'a');
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      ...env,
      ...extra,
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      NODE_ID: `startup-${kind}-${port}`,
    },
  });
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while ((await readyStatus(url)) !== 200) {
      if (exited) throw new Error(`${kind} (${variant}) exited before it was ready; see ${logDir}`);
      if (Date.now() > deadline) throw new Error(`${kind} (${variant}) not ready after ${READY_TIMEOUT_MS} ms; see ${logDir}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { readyMs, rssMb: rssMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exit;
    fs.closeSync(log);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function lscpuHead(): string {
  try {
    return execFileSync('lscpu', [], { encoding: 'utf8' }).split('\n').slice(0, 10).join('\n');
  } catch {
    return '(lscpu unavailable)';
  }
}

/**
 * Start-up time (process spawn to the first /readyz 200) and idle RSS of one
 * socket node and one API node in cluster mode (local MariaDB and Redis), run
 * through tsx as the image used to (cold and warm transpile cache) and from
 * the esbuild bundle (`pnpm build`). Runs alternate between the variants so
 * machine noise spreads over all of them.
 */
export async function startupBenchmark(): Promise<string> {
  const db = await tempMysqlDatabase('chat_bench');
  // Migrated up front: every start then finds the schema current, as a rolling restart does.
  const migrator = knex(knexConfig({ mysqlUrl: db.url }));
  await migrateLatest(migrator).finally(() => migrator.destroy());
  const prefix = `bench${randomSuffix()}`;
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-bench-startup-'));
  const env = {
    MYSQL_URL: db.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    TOKEN_SECRET: 'bench-secret-'.padEnd(48, 'b'),
    LOG_LEVEL: 'warn',
  };
  const samples = new Map<string, Sample[]>();
  try {
    // One unmeasured tsx start fills tsx's cache for the warm variant (and warms the OS page cache for all).
    for (const kind of KINDS) await measure(kind, 'tsx, warm cache', env, logDir);
    for (let run = 1; run <= RUNS; run++) {
      for (const kind of KINDS) {
        for (const variant of run % 2 ? VARIANTS : [...VARIANTS].reverse()) {
          const s = await measure(kind, variant, env, logDir);
          process.stderr.write(`run ${run} ${kind.padEnd(6)} ${variant.padEnd(16)} ready ${fmt(s.readyMs, 0)} ms, rss ${fmt(s.rssMb)} MB\n`);
          const key = `${kind}|${variant}`;
          samples.set(key, [...(samples.get(key) ?? []), s]);
        }
      }
    }
  } finally {
    await db.drop();
    await dropRedisKeys(REDIS_URL, prefix);
    fs.rmSync(logDir, { recursive: true, force: true });
  }

  const get = (kind: Kind, variant: Variant) => samples.get(`${kind}|${variant}`) ?? [];
  const stat = (kind: Kind, variant: Variant, key: keyof Sample) => {
    const xs = get(kind, variant).map((s) => s[key]);
    return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  };
  const rows: string[][] = [];
  for (const kind of KINDS) {
    const built = { ready: stat(kind, 'built', 'readyMs'), rss: stat(kind, 'built', 'rssMb') };
    for (const variant of VARIANTS) {
      const ready = stat(kind, variant, 'readyMs');
      const rss = stat(kind, variant, 'rssMb');
      rows.push([
        kind,
        variant === 'built' ? '**built** (`node dist/' + kind + '/main.js`)' : `${variant} (\`node --import tsx\`)`,
        `${fmt(ready.median, 0)} (${fmt(ready.min, 0)}-${fmt(ready.max, 0)})`,
        variant === 'built' ? '1' : `${fmt(ready.median / built.ready.median, 2)}x`,
        `${fmt(rss.median)} (${fmt(rss.min)}-${fmt(rss.max)})`,
        variant === 'built' ? '1' : `${fmt(rss.median / built.rss.median, 2)}x`,
      ]);
    }
  }

  const md = `## Start-up and idle memory: tsx vs built

Command: \`pnpm bench startup\`. Machine: ${machine()}.

\`nproc\`: ${os.cpus().length}; \`lscpu | head\`:

\`\`\`
${lscpuHead()}
\`\`\`

One socket node and one API node in cluster mode against the local MariaDB (a database of its own, migrated before the
first start) and Redis, started ${RUNS} times per variant (plus one unmeasured tsx start per kind that fills tsx's cache).
Start-up is process spawn to the first \`/readyz\` 200 (polled every 10 ms); RSS is VmRSS from /proc after the ready node
has been idle ${IDLE_MS / 1000} s. "tsx, cold cache" (\`TSX_DISABLE_CACHE=1\`) is what the old image did on every pod
start (tsx's cache lived on the empty /tmp volume); "tsx, warm cache" is a developer's repeated \`pnpm dev\`.
Medians, with the range over the runs in brackets; ratios are the median against the built node's.

${table(['node', 'runs as', 'start-up ms', 'vs built', 'idle RSS MB', 'vs built'], rows)}
`;
  writeSection('startup', md);
  return md;
}
