import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FromWorker, ToWorker } from './ipc';
import { LoadAgent } from './worker/agent';

/** The coordinator's view of one worker, whatever runs it. */
export interface WorkerHandle {
  readonly index: number;
  send(msg: ToWorker): void;
  /** Ends the worker if it has not exited by itself (idempotent). */
  kill(): void;
  /** Resolves when the worker is gone. */
  readonly exited: Promise<void>;
}

export type WorkerListener = (index: number, msg: FromWorker) => void;
export type ExitListener = (index: number, code: number | null) => void;

/**
 * A forked Node process running worker/entry.ts through the tsx loader, so
 * the harness works from source (`pnpm loadtest`) and under jest alike.
 */
export function forkWorker(index: number, onMessage: WorkerListener, onExit: ExitListener): WorkerHandle {
  const loader = pathToFileURL(require.resolve('tsx')).href;
  const child: ChildProcess = fork(join(__dirname, 'worker', 'entry.ts'), [], {
    execArgv: ['--import', loader],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      gone = true;
      onExit(index, code);
      resolve();
    });
  });
  child.on('message', (m) => onMessage(index, m as FromWorker));
  child.on('error', () => {
    // 'exit' follows, or send() fails; both are reported there.
  });
  return {
    index,
    send(msg) {
      if (child.connected) child.send(msg);
    },
    kill() {
      if (!gone) child.kill('SIGKILL');
    },
    exited,
  };
}

/** Runs the agent inside this process (`workers: 0`): for debugging and tiny runs. */
export function inProcessWorker(index: number, onMessage: WorkerListener, onExit: ExitListener): WorkerHandle {
  let resolveExit!: () => void;
  const exited = new Promise<void>((r) => (resolveExit = r));
  let gone = false;
  const finish = () => {
    if (gone) return;
    gone = true;
    onExit(index, 0);
    resolveExit();
  };
  const agent = new LoadAgent((m) => {
    // Asynchronous like IPC, so the coordinator never re-enters itself.
    queueMicrotask(() => {
      onMessage(index, m);
      if (m.type === 'closed' || m.type === 'fatal') finish();
    });
  });
  return {
    index,
    send: (msg) => queueMicrotask(() => agent.handle(msg)),
    kill() {
      agent.close();
      finish();
    },
    exited,
  };
}
