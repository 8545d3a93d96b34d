import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LaunchError } from './errors';
import { HaproxyProcess, type LbServerState } from './haproxy';
import { NODE_FLAGS, renderHaproxyConfig } from '@chat/deploy';
import { freePort } from './ports';
import { ManagedProcess, describeExit, type ExitInfo } from './process';
import { httpGet, pollUntil } from './wait';

export type NodeKind = 'api' | 'socket';

export interface NodeHandle {
  readonly id: string;
  readonly kind: NodeKind;
  readonly port: number;
  readonly pid: number;
  /** http://127.0.0.1:<port>, the node itself (bypassing the load balancer). */
  readonly url: string;
  /** http://127.0.0.1:<METRICS_PORT>, the node's internal listener: scrape `${metricsUrl}/metrics` (the load balancer refuses /metrics). */
  readonly metricsUrl: string;
  /** stdout + stderr of the node. */
  readonly logFile: string;
}

export interface StartClusterOptions {
  socketNodes: number;
  apiNodes: number;
  /** Load balancer port on 127.0.0.1; 0 picks a free one. Default 8080. */
  port?: number;
  /** Extra environment for every node (wins over the launcher's defaults). */
  env?: Record<string, string>;
  /** Repository root holding the build output (dist/, see `pnpm build`). Default: found from this file. */
  cwd?: string;
  /** Where node and haproxy logs go. Default: a temp dir removed by stop(). */
  logDir?: string;
  /** Deadline for each node's /readyz and the LB's /healthz. Default 180 s (a loaded 2-core machine starting several nodes at once). */
  readyTimeoutMs?: number;
  /**
   * What every node runs instead of the built services (node's arguments, the script included), for
   * both kinds: another server behind the same load balancer, such as the benchmarks' reference.
   */
  nodeEntry?: string[];
  /** Extra Node.js flags for every node, before the entry (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** Called when a node exits, whether killed through the cluster or on its own. */
  onNodeExit?: (node: NodeHandle, exit: ExitInfo) => void;
}

export interface StartNodeOptions {
  /** Extra environment for this node only. */
  env?: Record<string, string>;
}

export interface Cluster {
  /** Load balancer URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Nodes still running, in start order. */
  readonly nodes: readonly NodeHandle[];
  readonly haproxyPid: number;
  readonly logDir: string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code (null when ended by a signal). */
  kill(nodeId: string, signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves when the node has exited; rejects after `timeoutMs`. */
  waitExit(nodeId: string, timeoutMs: number): Promise<ExitInfo>;
  /** Starts one more node, waits for its /readyz, adds it to the LB (config rewrite + reload) and waits until the LB sees it UP. */
  start(kind: NodeKind, opts?: StartNodeOptions): Promise<NodeHandle>;
  /** Server states as HAProxy sees them (runtime API `show stat`). */
  lbServers(): Promise<LbServerState[]>;
  /** SIGTERM to every child we started, SIGKILL after 10 s, temp files removed. Idempotent. */
  stop(): Promise<void>;
}

/** Backend names in the generated config, per node kind. */
export const BACKEND: Record<NodeKind, string> = { api: 'be_api', socket: 'be_socket' };

export const DEFAULT_NODE_ENV = {
  MYSQL_URL: 'mysql://root@127.0.0.1:3306/test',
  REDIS_URL: 'redis://127.0.0.1:6379',
} as const;

/** The built nodes (`pnpm build`, scripts/build.mjs), relative to the repository root. */
export const ENTRY: Record<NodeKind, string> = {
  api: 'dist/api/main.js',
  socket: 'dist/socket/main.js',
};

/** Sources the bundles are built from: newer than the build means the nodes would run old code. */
const SOURCE_DIRS = ['packages', 'services'];

interface Managed {
  handle: NodeHandle;
  proc: ManagedProcess;
}

export async function startCluster(opts: StartClusterOptions): Promise<Cluster> {
  const cluster = new LocalCluster(opts);
  try {
    await cluster.boot();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

class LocalCluster implements Cluster {
  url = '';
  logDir = '';
  private runDir = '';
  private readonly cwd: string;
  private readonly readyTimeoutMs: number;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly managed = new Map<string, Managed>();
  private readonly counters: Record<NodeKind, number> = { api: 0, socket: 0 };
  private lb: HaproxyProcess | undefined;
  private lbPort = 0;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: StartClusterOptions) {
    this.cwd = opts.cwd ?? path.resolve(__dirname, '../../..');
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 180_000;
    // Every node sits behind the load balancer, which replaces X-Forwarded-For with the client address: trust that one hop.
    const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', MYSQL_URL: DEFAULT_NODE_ENV.MYSQL_URL, TRUST_PROXY_HOPS: '1' };
    if (!process.env.REDIS_CLUSTER_NODES && !opts.env?.REDIS_CLUSTER_NODES) env.REDIS_URL = DEFAULT_NODE_ENV.REDIS_URL;
    for (const k of ['MYSQL_URL', 'REDIS_URL', 'TOKEN_SECRET'] as const) if (process.env[k]) env[k] = process.env[k];
    env.TOKEN_SECRET ??= randomBytes(32).toString('hex');
    this.baseEnv = { ...env, ...opts.env };
  }

  get nodes(): NodeHandle[] {
    return [...this.managed.values()].filter((m) => m.proc.running).map((m) => m.handle);
  }

  get haproxyPid(): number {
    return this.lb?.pid ?? -1;
  }

  async boot(): Promise<void> {
    this.runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'chat-devcluster-'));
    if (this.opts.logDir) {
      this.logDir = this.opts.logDir;
      await fs.mkdir(this.logDir, { recursive: true });
    } else {
      this.logDir = this.runDir;
    }
    if (!this.opts.nodeEntry) await checkBuild(this.cwd);
    const kinds: NodeKind[] = [
      ...Array.from({ length: this.opts.apiNodes }, () => 'api' as const),
      ...Array.from({ length: this.opts.socketNodes }, () => 'socket' as const),
    ];
    // Nodes start in parallel and are awaited together.
    const started = await Promise.allSettled(kinds.map((k) => this.spawnNode(k)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    this.lbPort = this.opts.port === 0 ? await freePort() : (this.opts.port ?? 8080);
    this.url = `http://127.0.0.1:${this.lbPort}`;
    this.lb = await HaproxyProcess.start({
      dir: this.runDir,
      config: this.renderConfig(),
      statsSocket: this.statsSocket(),
      logFile: path.join(this.logDir, 'haproxy.log'),
      timeoutMs: this.readyTimeoutMs,
    });
    const lb = this.lb;
    // /healthz is routed to an API node; without one there is nothing to ask.
    if (this.opts.apiNodes === 0) return;
    try {
      await pollUntil('load balancer /healthz', () => httpGet(`${this.url}/healthz`).then((r) => (r.status === 200 ? true : undefined)), {
        timeoutMs: this.readyTimeoutMs,
        abort: () => (lb.proc.exit ? `haproxy ${describeExit(lb.proc.exit)}` : undefined),
      });
    } catch (err) {
      throw new LaunchError(err instanceof Error ? err.message : String(err), 'haproxy', lb.proc.logTail());
    }
  }

  async start(kind: NodeKind, opts: StartNodeOptions = {}): Promise<NodeHandle> {
    if (this.stopping) throw new LaunchError('cluster is stopped');
    const lb = this.lb;
    if (!lb) throw new LaunchError('cluster is not started');
    const handle = await this.spawnNode(kind, opts.env);
    await lb.reload(this.renderConfig(), this.expectedServers(), this.readyTimeoutMs);
    await pollUntil(
      `load balancer marks ${handle.id} UP`,
      async () => ((await lb.servers()).some((s) => s.server === handle.id && s.status === 'UP') ? true : undefined),
      { timeoutMs: this.readyTimeoutMs },
    );
    return handle;
  }

  async kill(nodeId: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const m = this.get(nodeId);
    m.proc.signal(signal);
    // Nodes promise to drain within 10 s; leave slack before calling it a failure.
    const info = await m.proc.waitExit(15_000);
    return info.code;
  }

  waitExit(nodeId: string, timeoutMs: number): Promise<ExitInfo> {
    return this.get(nodeId).proc.waitExit(timeoutMs);
  }

  lbServers(): Promise<LbServerState[]> {
    if (!this.lb) return Promise.resolve([]);
    return this.lb.servers();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const procs = [...this.managed.values()].map((m) => m.proc);
    if (this.lb) procs.push(this.lb.proc);
    await Promise.all(procs.map((p) => p.terminate()));
    if (this.runDir) await fs.rm(this.runDir, { recursive: true, force: true });
  }

  private get(nodeId: string): Managed {
    const m = this.managed.get(nodeId);
    if (!m) throw new LaunchError(`no node ${nodeId} in this cluster (known: ${[...this.managed.keys()].join(', ')})`);
    return m;
  }

  private async spawnNode(kind: NodeKind, extraEnv: Record<string, string> = {}): Promise<NodeHandle> {
    const id = `${kind}-${++this.counters[kind]}`;
    const port = await freePort();
    // Each node's internal /metrics listener needs a port of its own on a shared machine.
    const metricsPort = await freePort();
    const logFile = path.join(this.logDir, `${id}.log`);
    // node itself runs the bundle, so the PID we hold is the server's.
    const proc = await ManagedProcess.spawn({
      name: id,
      command: process.execPath,
      // The product's own V8 flags for its own entries (a benchmark's reference server runs on V8's defaults);
      // `nodeArgs` come after them, so a benchmark variant can override one.
      args: [...(this.opts.nodeEntry ? [] : NODE_FLAGS), ...(this.opts.nodeArgs ?? []), ...(this.opts.nodeEntry ?? [ENTRY[kind]])],
      cwd: this.cwd,
      env: {
        ...this.baseEnv,
        ...extraEnv,
        PORT: String(port),
        HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        METRICS_HOST: '127.0.0.1',
        NODE_ID: id,
      },
      logFile,
    });
    const handle: NodeHandle = {
      id,
      kind,
      port,
      pid: proc.pid,
      url: `http://127.0.0.1:${port}`,
      metricsUrl: `http://127.0.0.1:${metricsPort}`,
      logFile,
    };
    this.managed.set(id, { handle, proc });
    void proc.exited.then((info) => this.opts.onNodeExit?.(handle, info));
    try {
      await pollUntil(`${id} /readyz`, () => httpGet(`${handle.url}/readyz`).then((r) => (r.status === 200 ? true : undefined)), {
        timeoutMs: this.readyTimeoutMs,
        abort: () => (proc.exit ? `${id} ${describeExit(proc.exit)}` : undefined),
      });
    } catch (err) {
      throw new LaunchError(`${err instanceof Error ? err.message : String(err)} (log: ${logFile})`, id, proc.logTail());
    }
    return handle;
  }

  private renderConfig(): string {
    const servers = (kind: NodeKind) => this.nodes.filter((n) => n.kind === kind).map((n) => ({ name: n.id, host: '127.0.0.1', port: n.port }));
    return renderHaproxyConfig({
      mode: 'static',
      bindHost: '127.0.0.1',
      bindPort: this.lbPort,
      api: servers('api'),
      socket: servers('socket'),
      statsSocket: this.statsSocket(),
    });
  }

  private expectedServers(): string[] {
    return this.nodes.map((n) => `${BACKEND[n.kind]}/${n.id}`);
  }

  private statsSocket(): string {
    return path.join(this.runDir, 'haproxy.sock');
  }
}

/**
 * The launcher runs the built nodes: refuses to start without them, and warns
 * (once per process) when a source file changed after the build.
 */
async function checkBuild(cwd: string): Promise<void> {
  for (const entry of Object.values(ENTRY)) {
    const file = path.join(cwd, entry);
    if (!(await fs.stat(file).catch(() => undefined))?.isFile()) {
      throw new LaunchError(`${file} does not exist: the launcher runs the built nodes, run \`pnpm build\` first (in ${cwd})`);
    }
  }
  if (staleChecked) return;
  staleChecked = true;
  const builtAt = Math.min(...(await Promise.all(Object.values(ENTRY).map(async (e) => (await fs.stat(path.join(cwd, e))).mtimeMs))));
  const newer = await newestSource(cwd, builtAt);
  if (newer) process.emitWarning(`${newer} changed after the last build: the nodes run the old code until \`pnpm build\``, 'StaleBuild');
}

let staleChecked = false;

/** A .ts or .lua file under packages/<name>/src or services/<name>/src modified after `since`, if any. */
async function newestSource(cwd: string, since: number): Promise<string | undefined> {
  const walk = async (dir: string): Promise<string | undefined> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name === 'node_modules') continue;
        const found = await walk(p);
        if (found) return found;
      } else if (/\.(ts|lua)$/.test(e.name) && (await fs.stat(p)).mtimeMs > since) {
        return path.relative(cwd, p);
      }
    }
    return undefined;
  };
  for (const top of SOURCE_DIRS) {
    for (const pkg of await fs.readdir(path.join(cwd, top)).catch(() => [])) {
      const found = await walk(path.join(cwd, top, pkg, 'src'));
      if (found) return found;
    }
  }
  return undefined;
}
