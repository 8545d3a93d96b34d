import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnSpec {
  /** Human name used in errors ("socket-2", "haproxy"). */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here; the file outlives the process for post-mortems. */
  logFile: string;
}

/** Grace period between SIGTERM and SIGKILL in `terminate()`. Nodes promise to exit within 10 s. */
export const KILL_AFTER_MS = 10_000;

/**
 * One child process we started, tracked by PID. Only this object ever
 * signals it, so nothing else on the machine can be hit by accident.
 */
export class ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;

  private constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {
    this.pid = child.pid ?? -1;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  /** Resolves once the OS has created the process; rejects with the spawn error (ENOENT for a missing binary). */
  static spawn(spec: SpawnSpec): Promise<ManagedProcess> {
    const fd = fs.openSync(spec.logFile, 'a');
    try {
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        // File descriptors, not pipes: logs keep flowing even if this process stops reading.
        stdio: ['ignore', fd, fd],
      });
      return new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => {
          child.removeListener('error', reject);
          // A later error (e.g. failed kill) must not crash the launcher.
          child.on('error', () => undefined);
          resolve(new ManagedProcess(spec.name, spec.logFile, child));
        });
      });
    } finally {
      fs.closeSync(fd);
    }
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** Exit info, or a rejection naming the process when it is still running after `timeoutMs`. */
  waitExit(timeoutMs: number): Promise<ExitInfo> {
    if (this.exitInfo) return Promise.resolve(this.exitInfo);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} (pid ${this.pid}) still running after ${timeoutMs} ms`)), timeoutMs);
      void this.exited.then((info) => {
        clearTimeout(timer);
        resolve(info);
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Idempotent; resolves when the process is gone. */
  async terminate(graceMs = KILL_AFTER_MS): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.signal('SIGTERM');
    try {
      return await this.waitExit(graceMs);
    } catch {
      this.signal('SIGKILL');
      return this.exited;
    }
  }

  logTail(maxLines = 30): string {
    return readLogTail(this.logFile, maxLines);
  }
}

/** The last lines of a log file (reads at most 16 KiB), or a note when it cannot be read. */
export function readLogTail(file: string, maxLines = 30): string {
  try {
    const size = fs.statSync(file).size;
    const len = Math.min(size, 16 * 1024);
    const buf = Buffer.alloc(len);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, buf, 0, len, size - len);
    } finally {
      fs.closeSync(fd);
    }
    const lines = buf.toString('utf8').split('\n');
    return (
      lines
        .slice(-maxLines - 1)
        .join('\n')
        .trimEnd() || '(log is empty)'
    );
  } catch (err) {
    return `(log unreadable: ${err instanceof Error ? err.message : String(err)})`;
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `killed by ${info.signal}` : `exited with code ${String(info.code)}`;
}
