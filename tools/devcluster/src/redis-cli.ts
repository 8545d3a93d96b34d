import { execFile } from 'node:child_process';
import { LaunchError } from './errors';
import type { ManagedProcess } from './process';
import { describeExit } from './process';
import { pollUntil } from './wait';

const HOST = '127.0.0.1';

/** Polls `probe` until it answers, failing early (with the log tail) when the process exits. */
export async function waitForProbe(proc: ManagedProcess, what: string, timeoutMs: number, probe: () => Promise<true | undefined>): Promise<void> {
  try {
    await pollUntil(what, probe, { timeoutMs, abort: () => (proc.exit ? `${proc.name} ${describeExit(proc.exit)}` : undefined) });
  } catch (err) {
    throw new LaunchError(err instanceof Error ? err.message : String(err), proc.name, proc.logTail());
  }
}

/** A spawn failure of redis-server, named when the binary is missing. */
export function redisServerMissing(err: unknown): never {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LaunchError('redis-server is not installed (apt-get install -y redis-server)');
  throw err;
}

export function cli(port: number, args: string[]): Promise<string> {
  return cliRaw(['-h', HOST, '-p', String(port), ...args], 5000);
}

export function cliRaw(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}
