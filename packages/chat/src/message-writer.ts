import { isChatError } from '@chat/protocol';
import { isUniqueViolation } from '@chat/store';
import type { ChatStore, StoredMessage } from '@chat/store';

/**
 * Group commit: messages written within `maxDelayMs` of each other (or while
 * the previous group is still committing) are stored in one multi-row insert
 * and released together when it commits. Under load the groups grow by
 * themselves; a lone message waits at most `maxDelayMs`.
 *
 * With `maxBatch: 1` it degrades to one insert per message, which is how a
 * conventional chat server writes (kept for the benchmark comparison).
 */
export interface MessageWriter {
  /** Resolves once the message is durably stored; rejects with the store's error. */
  write(message: StoredMessage): Promise<void>;
  /** Commits what is queued, waits for commits in flight, refuses later writes. Idempotent. */
  close(): Promise<void>;
}

export interface MessageWriterOptions {
  store: Pick<ChatStore, 'appendMessages'>;
  /** Longest wait of a message for companions when no commit is in flight. Default 0: the end of the current event-loop turn. */
  maxDelayMs?: number;
  /** Largest group. Default 256. */
  maxBatch?: number;
  /** Groups committing at once. Default 1 (group commit); raise it for one-insert-per-message. */
  concurrency?: number;
  /** Called with each committed group before its writers are released (fan-out starts here). */
  onCommitted?: (batch: StoredMessage[]) => void;
  /** Observes each commit: size and seconds taken, and failures. */
  onCommit?: (size: number, seconds: number, failed: boolean) => void;
}

interface Pending {
  message: StoredMessage;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createMessageWriter(opts: MessageWriterOptions): MessageWriter {
  const maxDelayMs = opts.maxDelayMs ?? 0;
  const maxBatch = opts.maxBatch ?? 256;
  const concurrency = opts.concurrency ?? 1;
  let queue: Pending[] = [];
  /** Cancels the scheduled flush, if any. */
  let cancelFlush: (() => void) | undefined;
  let inFlight = 0;
  let closed = false;
  const idle: Array<() => void> = [];

  function schedule(): void {
    if (queue.length === 0 || inFlight >= concurrency || cancelFlush) return;
    if (queue.length >= maxBatch) {
      startFlush();
      return;
    }
    // 0 ms still gathers the writes of this event-loop turn (sends read from many
    // sockets at once); while a commit is in flight the queue gathers by itself.
    if (maxDelayMs === 0) {
      const immediate = setImmediate(startFlush);
      cancelFlush = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(startFlush, maxDelayMs);
      cancelFlush = () => clearTimeout(timer);
    }
  }

  function startFlush(): void {
    cancelFlush?.();
    cancelFlush = undefined;
    while (queue.length > 0 && inFlight < concurrency) {
      const group = queue.slice(0, maxBatch);
      queue = queue.slice(group.length);
      inFlight++;
      void commit(group).finally(() => {
        inFlight--;
        if (queue.length > 0) startFlush();
        else if (inFlight === 0) idle.splice(0).forEach((f) => f());
      });
    }
  }

  async function commit(group: Pending[]): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await opts.store.appendMessages(group.map((p) => p.message));
      opts.onCommit?.(group.length, elapsed(started), false);
      release(group);
    } catch (err) {
      opts.onCommit?.(group.length, elapsed(started), true);
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      // One bad row must not fail its neighbours. A row the store refused (a
      // resent clientMsgId, a reused seq, a value out of bounds) is found by
      // halving: O(log n) inserts. Anything else (an outage) is tried row by
      // row, once, never deeper.
      const parts = isRowRefusal(err) ? [group.slice(0, group.length >> 1), group.slice(group.length >> 1)] : group.map((p) => [p]);
      await Promise.all(parts.map((part) => commit(part)));
    }
  }

  function release(group: Pending[]): void {
    try {
      opts.onCommitted?.(group.map((p) => p.message));
    } finally {
      for (const p of group) p.resolve();
    }
  }

  return {
    write(message) {
      if (closed) return Promise.reject(new Error('message writer is closed'));
      return new Promise<void>((resolve, reject) => {
        queue.push({ message, resolve, reject });
        schedule();
      });
    },
    async close() {
      if (closed && queue.length === 0 && inFlight === 0) return;
      closed = true;
      startFlush();
      if (inFlight > 0) await new Promise<void>((r) => idle.push(r));
    },
  };
}

/** The store refused a row of the batch (a duplicate key, a failed bound check), not the batch's delivery. */
function isRowRefusal(err: unknown): boolean {
  return isUniqueViolation(err) || isChatError(err);
}

function elapsed(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
