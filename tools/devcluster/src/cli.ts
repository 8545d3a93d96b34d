/**
 * pnpm cluster [--socket N] [--api M] [--port P] [--log-dir DIR] [--ready-timeout SEC] [--cpu-prof DIR]
 * Starts a local cluster of the built nodes (`pnpm build`; `pnpm cluster` builds first) behind HAProxy and keeps it up until Ctrl-C.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster, type Cluster } from './cluster';
import { HaproxyMissingError } from './errors';
import { haproxyInstalled } from './haproxy';

interface Args {
  socket: number;
  api: number;
  port: number;
  logDir: string;
  readyTimeoutSec: number;
  /** Every node writes a V8 CPU profile here when it exits (Ctrl-C). */
  cpuProfDir: string;
}

const USAGE = 'usage: pnpm cluster [--socket N=2] [--api M=1] [--port P=8080 (0 = free)] [--log-dir DIR] [--ready-timeout SEC=180] [--cpu-prof DIR]';

function parseArgs(argv: string[]): Args {
  const args: Args = { socket: 2, api: 1, port: 8080, logDir: '', readyTimeoutSec: 180, cpuProfDir: '' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === '--log-dir' || flag === '--cpu-prof') {
      args[flag === '--log-dir' ? 'logDir' : 'cpuProfDir'] = value;
      continue;
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, got '${value}'`);
    if (flag === '--socket') args.socket = n;
    else if (flag === '--api') args.api = n;
    else if (flag === '--port') args.port = n;
    else if (flag === '--ready-timeout') args.readyTimeoutSec = n;
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (args.socket + args.api === 0) throw new Error('at least one node is needed');
  // The CLI keeps logs after exit (the library's default temp dir is removed by stop()).
  args.logDir ||= fs.mkdtempSync(path.join(os.tmpdir(), 'chat-cluster-logs-'));
  return args;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  if (!(await haproxyInstalled())) {
    console.error(new HaproxyMissingError().message);
    process.exit(1);
  }

  let cluster: Cluster | undefined;
  let shuttingDown = false;
  let started = false;
  const shutdown = (sig: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`\n${sig}: stopping the cluster...`);
    void (cluster?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  console.log(`starting ${args.api} api + ${args.socket} socket node(s); logs in ${args.logDir}`);
  try {
    cluster = await startCluster({
      socketNodes: args.socket,
      apiNodes: args.api,
      port: args.port,
      logDir: args.logDir,
      readyTimeoutMs: args.readyTimeoutSec * 1000,
      nodeArgs: args.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.cpuProfDir)}`] : [],
      onNodeExit: (node, exit) => {
        if (started && !shuttingDown) console.log(`node ${node.id} (pid ${node.pid}) exited: code ${String(exit.code)} signal ${String(exit.signal)}`);
      },
    });
  } catch (err) {
    console.error(`cluster failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  if (shuttingDown) return;
  started = true;
  console.log(`load balancer: ${cluster.url} (haproxy pid ${cluster.haproxyPid}, log ${path.join(args.logDir, 'haproxy.log')})`);
  for (const n of cluster.nodes) {
    console.log(`  ${n.kind.padEnd(6)} ${n.id.padEnd(10)} ${n.url}  metrics ${n.metricsUrl}/metrics  pid ${n.pid}  log ${n.logFile}`);
  }
  console.log('Ctrl-C to stop.');
}

void main();
