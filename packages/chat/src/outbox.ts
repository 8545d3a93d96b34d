import { createPublishRetry } from '@chat/fanout';
import type { RoomPublisher } from '@chat/fanout';
import type { ChatMessage } from '@chat/protocol';
import type { StoredMessage } from '@chat/store';
import { guardRedis } from './guards';
import { toChatMessage } from './views';

/** What the outbox reports; the composition root turns it into logs and metrics. */
export interface OutboxObserver {
  /** A stored batch the bus refused; it is published again with backoff. */
  publishFailed?(err: unknown, roomId: string): void;
  /** A stored batch given up after a minute of refusals: its members read it from history. */
  publishGivenUp?(roomId: string, messages: readonly ChatMessage[]): void;
  /** A signal (skipped seq, members changed) the bus refused; receivers fall back to their timeouts. */
  signalFailed?(err: unknown, roomId: string, signal: string): void;
}

/**
 * The sending half of the room bus, as the chat domain uses it: everything
 * that happened in a room and that the room's nodes must hear of.
 */
export interface Outbox {
  /** A committed group: each room's messages go out as one batch (retried until Redis takes it). */
  stored(batch: readonly StoredMessage[]): void;
  /** A seq that was reserved and will never be stored: receivers move past it at once. */
  skipped(roomId: string, seq: number): void;
  /** Someone's first connection came or last one went. */
  membersChanged(roomId: string): void;
  /** A user lost access to a private room: its sockets leave the room. Rejects with `unavailable` when Redis refuses. */
  revoked(roomId: string, userId: string): Promise<void>;
  /** Drops what waits for a retry. Idempotent. */
  close(): void;
}

export function createOutbox(publisher: RoomPublisher, observer: OutboxObserver = {}): Outbox {
  const retry = createPublishRetry(publisher, {
    onFailure: (err, roomId) => observer.publishFailed?.(err, roomId),
    onGivenUp: (roomId, messages) => observer.publishGivenUp?.(roomId, messages),
  });
  const signal = (roomId: string, name: string, send: Promise<void>): void => {
    send.catch((err: unknown) => observer.signalFailed?.(err, roomId, name));
  };
  return {
    stored(batch) {
      for (const [roomId, messages] of groupByRoom(batch)) retry.publish(roomId, messages.map(toChatMessage));
    },
    skipped(roomId, seq) {
      signal(roomId, 'skipped', publisher.publish(roomId, { kind: 'skipped', seqs: [seq] }));
    },
    membersChanged(roomId) {
      signal(roomId, 'membersChanged', publisher.publish(roomId, { kind: 'membersChanged' }));
    },
    revoked(roomId, userId) {
      return guardRedis(() => publisher.publish(roomId, { kind: 'revoked', userId }));
    },
    close: () => retry.close(),
  };
}

function groupByRoom<T extends { roomId: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.roomId);
    if (list) list.push(item);
    else out.set(item.roomId, [item]);
  }
  return out;
}
