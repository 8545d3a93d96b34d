import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { HaproxyMissingError, LaunchError } from './errors';
import { ManagedProcess, describeExit } from './process';
import { pollUntil } from './wait';

export interface LbServerState {
  backend: string;
  server: string;
  /** HAProxy's status column: UP, DOWN, MAINT, "UP 1/2" (going down), "DOWN 1/2" (going up), no check... */
  status: string;
}

const HAPROXY_BIN = 'haproxy';

/** Runs `haproxy -c -f file`; resolves with its output or rejects with it. */
export function checkHaproxyConfig(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(HAPROXY_BIN, ['-c', '-f', file], { timeout: 10_000 }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`.trim();
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') reject(new HaproxyMissingError());
      else if (err) reject(new LaunchError(`haproxy rejected ${file}:\n${out}`));
      else resolve(out);
    });
  });
}

export async function haproxyInstalled(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(HAPROXY_BIN, ['-v'], { timeout: 5000 }, (err) => resolve(!err));
  });
}

/**
 * HAProxy in master-worker mode (-W) in the foreground (-db), so a reload
 * (SIGUSR2 to the master) swaps the worker without dropping the listener and
 * the PID we track stays the same.
 */
export class HaproxyProcess {
  private constructor(
    readonly proc: ManagedProcess,
    readonly configFile: string,
    readonly statsSocket: string,
  ) {}

  static async start(opts: { dir: string; config: string; statsSocket: string; logFile: string; timeoutMs: number }): Promise<HaproxyProcess> {
    const configFile = path.join(opts.dir, 'haproxy.cfg');
    await fs.writeFile(configFile, opts.config);
    await checkHaproxyConfig(configFile);
    let proc: ManagedProcess;
    try {
      proc = await ManagedProcess.spawn({
        name: 'haproxy',
        command: HAPROXY_BIN,
        args: ['-W', '-db', '-f', configFile],
        cwd: opts.dir,
        env: process.env,
        logFile: opts.logFile,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new HaproxyMissingError();
      throw err;
    }
    const lb = new HaproxyProcess(proc, configFile, opts.statsSocket);
    try {
      await pollUntil('haproxy runtime API', () => lb.command('show info').then((s) => (s.includes('Pid:') ? true : undefined)), {
        timeoutMs: opts.timeoutMs,
        abort: () => (proc.exit ? `haproxy ${describeExit(proc.exit)}` : undefined),
      });
    } catch (err) {
      await proc.terminate();
      throw new LaunchError(err instanceof Error ? err.message : String(err), 'haproxy', proc.logTail());
    }
    return lb;
  }

  get pid(): number {
    return this.proc.pid;
  }

  /**
   * Validates and installs a new config, reloads, and waits until the new
   * worker serves exactly `expectServers` (backend/server names).
   */
  async reload(config: string, expectServers: string[], timeoutMs: number): Promise<void> {
    const next = `${this.configFile}.next`;
    await fs.writeFile(next, config);
    await checkHaproxyConfig(next);
    await fs.rename(next, this.configFile);
    this.proc.signal('SIGUSR2');
    const want = [...expectServers].sort().join(',');
    try {
      await pollUntil(
        'haproxy reload',
        async () => {
          const names = (await this.servers())
            .map((s) => `${s.backend}/${s.server}`)
            .sort()
            .join(',');
          return names === want ? true : undefined;
        },
        { timeoutMs, abort: () => (this.proc.exit ? `haproxy ${describeExit(this.proc.exit)}` : undefined) },
      );
    } catch (err) {
      throw new LaunchError(err instanceof Error ? err.message : String(err), 'haproxy', this.proc.logTail());
    }
  }

  /** Server rows of `show stat` (frontends and backend totals left out). */
  async servers(): Promise<LbServerState[]> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.split('\n').filter((l) => l.trim() !== '');
    if (!header) return [];
    const cols = header.replace(/^# /, '').split(',');
    const ix = (name: string): number => cols.indexOf(name);
    const [px, sv, st] = [ix('pxname'), ix('svname'), ix('status')];
    return rows
      .map((r) => r.split(','))
      .filter((c) => c[sv] !== 'FRONTEND' && c[sv] !== 'BACKEND')
      .map((c) => ({ backend: c[px] ?? '', server: c[sv] ?? '', status: c[st] ?? '' }));
  }

  /** One runtime API command over the stats socket (non-interactive: the server closes after answering). */
  command(cmd: string, timeoutMs = 2000): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(this.statsSocket);
      const chunks: Buffer[] = [];
      sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`haproxy '${cmd}' timed out`)));
      sock.on('connect', () => sock.write(`${cmd}\n`));
      sock.on('data', (c: Buffer) => chunks.push(c));
      sock.on('error', reject);
      sock.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  }

  stop(): Promise<unknown> {
    return this.proc.terminate();
  }
}
