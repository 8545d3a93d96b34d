import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { NODE_FLAGS } from '@chat/deploy';
import { freePort, startCluster } from '@chat/devcluster';
import type { Cluster } from '@chat/devcluster';
import { knexConfig, migrateLatest } from '@chat/store';
import { dropRedisKeys, randomSuffix, tempMysqlDatabase, waitUntil } from '@chat/testkit';

const ROOT = path.resolve(__dirname, '../../..');
/** The Redis the nodes use: the launcher's default, or REDIS_URL as the nodes would read it. */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Limits a load test must not trip over: the benchmark measures the message path, not the limiters
 * (and every load client comes from 127.0.0.1, which the per-address limits would count as one client).
 */
export const UNLIMITED = {
  MESSAGE_RATE_LIMIT: '1000000/1',
  SESSION_RATE_LIMIT: '1000000/1',
  CONNECT_RATE_LIMIT: '1000000/1',
  CONNECT_ADDRESS_RATE_LIMIT: '1000000/1',
  CONNECTIONS_PER_ADDRESS_MAX: '1000000',
  HISTORY_RATE_LIMIT: '1000000/1',
  SOCKET_EVENT_RATE_LIMIT: '1000000/1',
} as const;

/** Every deployment still open, so a stopped benchmark can end what it started. */
const open = new Set<() => Promise<void>>();

/** Closes every deployment and single node still open (the CLI's signal handler). */
export async function closeAllDeployments(): Promise<void> {
  await Promise.all([...open].map((close) => close().catch(() => undefined)));
}

/** Runs `close` once and keeps it in `open` until then. */
function tracked(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const once = () => (closing ??= close().finally(() => open.delete(once)));
  open.add(once);
  return once;
}

export interface Deployment {
  cluster: Cluster;
  dbUrl: string;
  close(): Promise<void>;
}

/** A fresh cluster on its own MySQL database and Redis key prefix; `close` removes both. */
export async function startDeployment(opts: {
  socket: number;
  api: number;
  env?: Record<string, string>;
  nodeEntry?: string[];
  /** Node.js flags for every node (a benchmark comparing V8 settings). */
  nodeArgs?: string[];
}): Promise<Deployment> {
  const db = await tempMysqlDatabase('chat_bench');
  const migrator = knex(knexConfig({ mysqlUrl: db.url }));
  await migrateLatest(migrator).finally(() => migrator.destroy());
  const prefix = `bench${randomSuffix()}`;
  try {
    const cluster = await startCluster({
      socketNodes: opts.socket,
      apiNodes: opts.api,
      port: 0,
      ...(opts.nodeEntry ? { nodeEntry: opts.nodeEntry } : {}),
      ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}),
      env: { MYSQL_URL: db.url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn', ...UNLIMITED, ...opts.env },
    });
    return {
      cluster,
      dbUrl: db.url,
      close: tracked(async () => {
        await cluster.stop();
        await db.drop();
        await dropRedisKeys(REDIS_URL, prefix);
      }),
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

/** dist/<service>/main.js from `pnpm build`; a readable error when it is missing. */
export function builtEntry(service: 'api' | 'socket' | 'standalone'): string {
  const file = path.join(ROOT, 'dist', service, 'main.js');
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: run \`pnpm build\` first (\`pnpm bench\` does)`);
  return file;
}

/** Sum of a counter or gauge over its label sets in a node's /metrics (read from its internal listener, `metricsUrl`). */
export async function scrape(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

/** Resident memory of a process in MB, from /proc. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface SingleNode {
  url: string;
  /** The node's internal metrics listener (METRICS_HOST:METRICS_PORT). */
  metricsUrl: string;
  pid: number;
  /** The node's inspector port, when started with `inspect: true` (see `collectGarbage`). */
  inspectPort?: number;
  close(): Promise<void>;
}

/**
 * One process serving sessions and sockets on one URL: the embedded entry
 * point in cluster mode (MySQL, Redis presence and bus). For benchmarks of one
 * node's memory and CPU without a load balancer in between.
 */
export async function startSingleNode(env: Record<string, string> = {}, opts: { inspect?: boolean } = {}): Promise<SingleNode> {
  const db = await tempMysqlDatabase('chat_bench');
  const port = await freePort();
  const metricsPort = await freePort();
  const inspectPort = opts.inspect ? await freePort() : undefined;
  const inspectArgs = inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-bench-'));
  const prefix = `bench${randomSuffix()}`;
  const log = fs.openSync(path.join(dataDir, 'node.log'), 'a');
  // The built entry point (`pnpm bench` builds first), as production runs it.
  const child = spawn(process.execPath, [...NODE_FLAGS, ...inspectArgs, builtEntry('standalone')], {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      MYSQL_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TOKEN_SECRET: 'bench-secret-'.padEnd(48, 'b'),
      LOG_LEVEL: 'warn',
      ...UNLIMITED,
      ...env,
    },
  });
  const exited = new Promise((r) => child.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  const close = tracked(async () => {
    child.kill('SIGTERM');
    await exited;
    fs.closeSync(log);
    fs.rmSync(dataDir, { recursive: true, force: true });
    await db.drop();
    await dropRedisKeys(REDIS_URL, prefix);
  });
  try {
    await waitUntil(
      () =>
        fetch(`${url}/readyz`).then(
          (r) => r.ok || undefined,
          () => undefined,
        ),
      { timeoutMs: 60_000, what: 'node ready' },
    );
  } catch (err) {
    await close();
    throw err;
  }
  return { url, metricsUrl: `http://127.0.0.1:${metricsPort}`, pid: child.pid!, inspectPort, close };
}
