import type { ChatMessage } from '@chat/protocol';
import type { RoomPublisher } from './types';

export interface PublishRetryOptions {
  /** First wait before a failed batch is published again; doubles per failed round up to `maxRetryMs`. Default 250. */
  retryMs?: number;
  /** Default 5000. */
  maxRetryMs?: number;
  /** A batch still unpublished after this long is given up (its members read it from history). Default 60000. */
  maxAgeMs?: number;
  /** Messages kept for retry at most; beyond it the oldest batches are given up. Default 10000. */
  maxMessages?: number;
  /** Each failed attempt (the first included). */
  onFailure?: (err: unknown, roomId: string) => void;
  /** Batches given up (too old, or over `maxMessages`). Log their ids, never their contents. */
  onGivenUp?: (roomId: string, messages: readonly ChatMessage[]) => void;
  now?: () => number;
}

export interface PublishRetry {
  /** Publishes a stored batch; if the bus refuses, keeps it and publishes it again until it goes through. */
  publish(roomId: string, messages: readonly ChatMessage[]): void;
  /** Batches waiting for a retry. */
  waiting(): number;
  /** Clears the timer and drops what waits. Idempotent. */
  close(): void;
}

interface Waiting {
  roomId: string;
  messages: readonly ChatMessage[];
  since: number;
}

/**
 * Stored messages must reach the other nodes even when Redis refused their
 * publish (it was unreachable between the commit and the publish): otherwise
 * a quiet room's other members would not see an acknowledged message until a
 * later one opened a gap that in-order delivery fills from the store. A batch
 * published twice is harmless: receivers drop seqs they already delivered.
 */
export function createPublishRetry(bus: RoomPublisher, opts: PublishRetryOptions = {}): PublishRetry {
  const retryMs = opts.retryMs ?? 250;
  const maxRetryMs = opts.maxRetryMs ?? 5000;
  const maxAgeMs = opts.maxAgeMs ?? 60_000;
  const maxMessages = opts.maxMessages ?? 10_000;
  const now = opts.now ?? Date.now;
  let queue: Waiting[] = [];
  let queued = 0;
  let delay = retryMs;
  let timer: NodeJS.Timeout | undefined;
  let retrying = false;
  let closed = false;

  function keep(item: Waiting): void {
    queue.push(item);
    queued += item.messages.length;
    while (queued > maxMessages && queue.length > 1) giveUp(queue.shift()!);
    schedule();
  }

  function giveUp(item: Waiting): void {
    queued -= item.messages.length;
    opts.onGivenUp?.(item.roomId, item.messages);
  }

  function schedule(): void {
    if (closed || timer || retrying || queue.length === 0) return;
    timer = setTimeout(() => void retryAll(), delay);
  }

  /** One round: every waiting batch once, in order; the failed ones wait for the next (longer) round. */
  async function retryAll(): Promise<void> {
    timer = undefined;
    retrying = true;
    const round = queue;
    queue = [];
    queued = 0;
    let failed = false;
    for (const item of round) {
      if (closed) break;
      if (now() - item.since > maxAgeMs) {
        opts.onGivenUp?.(item.roomId, item.messages);
        continue;
      }
      // After one failure in a round the rest would fail too: keep them for the next round.
      if (failed) {
        queue.push(item);
        queued += item.messages.length;
        continue;
      }
      try {
        await bus.publish(item.roomId, { kind: 'messages', messages: [...item.messages] });
      } catch (err) {
        failed = true;
        opts.onFailure?.(err, item.roomId);
        queue.push(item);
        queued += item.messages.length;
      }
    }
    retrying = false;
    delay = failed ? Math.min(delay * 2, maxRetryMs) : retryMs;
    schedule();
  }

  return {
    publish(roomId, messages) {
      if (closed || messages.length === 0) return;
      const since = now();
      bus.publish(roomId, { kind: 'messages', messages: [...messages] }).catch((err: unknown) => {
        opts.onFailure?.(err, roomId);
        if (!closed) keep({ roomId, messages, since });
      });
    },
    waiting: () => queue.length,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      queue = [];
      queued = 0;
    },
  };
}
