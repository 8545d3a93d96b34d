import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LaunchError } from './errors';
import { freePort } from './ports';
import { ManagedProcess } from './process';
import { cli, redisServerMissing, waitForProbe } from './redis-cli';

export interface RedisServerHandle {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The current process (a restart starts a new one). */
  readonly pid: number;
  /** Stops the server and starts a new one on the same port: what a Redis restart without persistence does (every key gone). */
  restart(): Promise<void>;
  /** Ends exactly the redis-server this call started and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A throw-away standalone Redis on a free loopback port, without persistence:
 * for tests that must change what Redis does (permissions, restarts) without
 * touching the machine's shared one.
 */
export async function startRedisServer(opts: { timeoutMs?: number } = {}): Promise<RedisServerHandle> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'chat-redis-'));
  let proc: ManagedProcess | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await proc?.terminate(5000);
      await fs.rm(dir, { recursive: true, force: true });
    })());
  try {
    const port = await freePort();
    const launch = async (): Promise<void> => {
      proc = await ManagedProcess.spawn({
        name: `redis-${port}`,
        command: 'redis-server',
        args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
        cwd: dir,
        env: process.env,
        logFile: path.join(dir, 'redis.log'),
      }).catch(redisServerMissing);
      const started = proc;
      await waitForProbe(started, `redis ${port} PING`, timeoutMs, async () => ((await cli(port, ['ping'])).trim() === 'PONG' ? true : undefined));
    };
    await launch();
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      get pid() {
        return proc?.pid ?? -1;
      },
      async restart() {
        if (stopping) throw new LaunchError('the Redis server was stopped');
        await proc?.terminate(5000);
        await launch();
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err instanceof LaunchError ? err : new LaunchError(err instanceof Error ? err.message : String(err));
  }
}
