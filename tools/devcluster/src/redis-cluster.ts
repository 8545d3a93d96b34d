import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LaunchError } from './errors';
import { freePortPair } from './ports';
import { ManagedProcess } from './process';
import { cli, cliRaw, redisServerMissing, waitForProbe } from './redis-cli';

export interface RedisClusterOptions {
  /** Master count; redis-cli needs at least 3. Default 3. */
  masters?: number;
  /** Working dir for nodes.conf files and logs. Default: a temp dir removed by stop(). */
  dir?: string;
  /** Deadline for each startup step. Default 20 s. */
  timeoutMs?: number;
}

export interface RedisClusterHandle {
  /** "127.0.0.1:<port>" of every master, the format of REDIS_CLUSTER_NODES entries. */
  nodes: string[];
  /** The same masters as ioredis `Cluster` startup nodes. */
  startupNodes: Array<{ host: string; port: number }>;
  pids: number[];
  /** Ends exactly the redis-server processes this call started. Idempotent. */
  stop(): Promise<void>;
}

/** Redis Cluster's bus listens on the client port + 10000. */
const BUS_OFFSET = 10_000;
const HOST = '127.0.0.1';

/**
 * A throw-away Redis Cluster on loopback: `masters` redis-server processes,
 * no persistence, slots spread with `redis-cli --cluster create`.
 */
export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  if (masters < 3) throw new LaunchError('a Redis Cluster needs at least 3 masters');
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const ownDir = !opts.dir;
  const dir = opts.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'chat-redis-cluster-')));
  await fs.mkdir(dir, { recursive: true });
  const procs: ManagedProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all(procs.map((p) => p.terminate(5000)));
      if (ownDir) await fs.rm(dir, { recursive: true, force: true });
    })());

  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      // Sequential so two picks cannot return the same port.
      let port = await freePortPair(BUS_OFFSET);
      while (ports.includes(port)) port = await freePortPair(BUS_OFFSET);
      ports.push(port);
      procs.push(
        await ManagedProcess.spawn({
          name: `redis-${port}`,
          command: 'redis-server',
          args: [
            '--port',
            String(port),
            '--bind',
            HOST,
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '3000',
            '--dir',
            dir,
            '--save',
            '',
            '--appendonly',
            'no',
            '--daemonize',
            'no',
          ],
          cwd: dir,
          env: process.env,
          logFile: path.join(dir, `redis-${port}.log`),
        }).catch(redisServerMissing),
      );
    }
    const nodes = ports.map((p) => `${HOST}:${p}`);
    await Promise.all(
      ports.map((port, i) =>
        waitForProbe(procs[i]!, `redis ${port} PING`, timeoutMs, async () => ((await cli(port, ['ping'])).trim() === 'PONG' ? true : undefined)),
      ),
    );
    await cliRaw(['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], timeoutMs);
    await Promise.all(
      ports.map((port, i) =>
        waitForProbe(procs[i]!, `redis ${port} cluster_state:ok`, timeoutMs, async () =>
          (await cli(port, ['cluster', 'info'])).includes('cluster_state:ok') ? true : undefined,
        ),
      ),
    );
    const startupNodes = ports.map((port) => ({ host: HOST, port }));
    return { nodes, startupNodes, pids: procs.map((p) => p.pid), stop };
  } catch (err) {
    await stop();
    throw err instanceof LaunchError ? err : new LaunchError(err instanceof Error ? err.message : String(err));
  }
}
