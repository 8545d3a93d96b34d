/**
 * Starts a throwaway 3-master Redis Cluster on loopback for tests, and stops
 * exactly the processes it started. Needs redis-server and redis-cli on PATH.
 * Copied from packages/presence/test/redis-cluster.ts until it moves to a shared testkit.
 */
import { spawn, execFile, type ChildProcess } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import Redis from 'ioredis';

const run = promisify(execFile);

export interface TestCluster {
  /** host:port of every master, for an ioredis Cluster's startup nodes. */
  nodes: { host: string; port: number }[];
  /** Kills the servers this helper started and removes their directory (idempotent). */
  stop(): Promise<void>;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (+10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    if (taken.has(port)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) return port;
  }
  throw new Error('redis-cluster: no free port pair found');
}

/** Resolves when the server logs that it accepts connections; rejects if it exits first. */
function startServer(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', '5000',
      '--dir', dir,
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => fail(new Error(`redis-server :${port} not ready in time\n${log}`)), 15000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`redis-server :${port} exited with ${code}\n${log}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function waitClusterOk(ports: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
    try {
      await client.connect();
      for (;;) {
        const info = await client.cluster('INFO');
        if (String(info).includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`redis-cluster: :${port} not ok in time\n${info}`);
        await new Promise((resolve) => setTimeout(resolve, 50)); // poll with a deadline
      }
    } finally {
      client.disconnect();
    }
  }
}

export async function startRedisCluster(masters = 3): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-cluster-'));
  const children: ChildProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(children.map(stopServer));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    const taken = new Set<number>();
    for (let i = 0; i < masters; i++) {
      const port = await freeClusterPort(taken);
      taken.add(port);
      children.push(await startServer(port, dir));
      ports.push(port);
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 60000,
    });
    await waitClusterOk(ports, 30000);
    return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
