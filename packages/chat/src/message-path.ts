import { randomUUID } from 'node:crypto';
import { ChatError, isChatError } from '@chat/protocol';
import type { ChatMessage } from '@chat/protocol';
import type { ChatStore, StoredMessage } from '@chat/store';
import type { SeqAllocator } from '@chat/fanout';
import type { RateLimiter } from '@chat/ratelimit';
import { createMessageWriter } from './message-writer';
import type { Outbox } from './outbox';
import { guardRedis, guardStore } from './guards';
import { toChatMessage } from './views';

export type SendStage = 'admit' | 'seq' | 'commit';

/** Group commit settings (see message-writer.ts); `maxBatch: 1` is one INSERT per message. */
export interface GroupCommitOptions {
  maxDelayMs: number;
  maxBatch: number;
  concurrency: number;
}

export interface MessagePathObserver {
  /** Seconds a send spent in one stage of its path to the ack. */
  sendStage?(stage: SendStage, seconds: number): void;
  /** Each group commit: its size, seconds taken, whether it failed. */
  commit?(size: number, seconds: number, failed: boolean): void;
  /** User messages stored (acked) by a committed group. */
  stored?(userMessages: number): void;
}

export interface MessagePathDeps {
  store: Pick<ChatStore, 'appendMessages' | 'findByClientMsgId'>;
  seq: SeqAllocator;
  outbox: Outbox;
  messageLimiter: RateLimiter;
  groupCommit: GroupCommitOptions;
  observer?: MessagePathObserver;
  now: () => number;
}

/** What a new message says, before it has an id, a seq and a time. */
export type NewMessage = Omit<StoredMessage, 'id' | 'seq' | 'sentAt'>;

/**
 * A message's whole journey to its ack, in one place:
 *  1. admission: the sender's rate limit, side by side with the seq reservation (one round trip);
 *  2. storage: group commit (message-writer.ts), the ack waits for it;
 *  3. publication: each committed group goes to the room's nodes through the outbox;
 *     a seq taken by a send that was then refused is published as skipped.
 * The receiving half (in-order delivery to local sockets) is packages/delivery.
 */
export function createMessagePath(deps: MessagePathDeps) {
  const { outbox, observer = {}, now } = deps;
  const writer = createMessageWriter({
    store: deps.store,
    ...deps.groupCommit,
    onCommitted: (batch) => {
      observer.stored?.(batch.filter((m) => m.kind === 'user').length);
      outbox.stored(batch);
    },
    onCommit: observer.commit,
  });
  /** Sends in flight by (room, user, clientMsgId), so a retry racing its original gets the same message. */
  const inFlight = new Map<string, Promise<ChatMessage>>();
  /**
   * Users the rate limiter refused, until the retry time it gave them (whole
   * seconds, as the client is told): their sends are refused here, without
   * Redis and without taking a seq.
   */
  const refusedUntil = new Map<string, number>();

  async function timed<T>(stage: SendStage, op: () => Promise<T>): Promise<T> {
    if (!observer.sendStage) return op();
    const started = process.hrtime.bigint();
    try {
      return await op();
    } finally {
      observer.sendStage(stage, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** The room's next seq. Handled at once: a refused send may never await it. */
  function reserveSeq(roomId: string): Promise<number> {
    const reserved = timed('seq', () => guardRedis(() => deps.seq.reserve(roomId, 1)));
    reserved.catch(() => undefined);
    return reserved;
  }

  /** A reserved seq that will never be stored: the room's nodes skip it instead of waiting for it. */
  function skipSeq(roomId: string, reserved: Promise<number>): void {
    reserved.then(
      (seq) => outbox.skipped(roomId, seq),
      () => undefined,
    );
  }

  function refuseIfLimited(userId: string): void {
    const until = refusedUntil.get(userId);
    if (until === undefined) return;
    const leftMs = until - now();
    if (leftMs <= 0) {
      refusedUntil.delete(userId);
      return;
    }
    const retryAfterSec = Math.max(1, Math.ceil(leftMs / 1000));
    throw new ChatError('rate_limited', `Too many requests; retry in ${retryAfterSec} s.`, retryAfterSec);
  }

  async function consumeMessagePoint(userId: string): Promise<void> {
    try {
      await deps.messageLimiter.consume(userId);
    } catch (err) {
      if (isChatError(err, 'rate_limited') && err.retryAfterSec) {
        if (refusedUntil.size >= 10_000) pruneExpired(refusedUntil, now());
        refusedUntil.set(userId, now() + err.retryAfterSec * 1000);
      }
      throw err;
    }
  }

  /** Stores durably with its seq; the writer publishes the group once it commits. */
  async function storeNew(fields: NewMessage, reserved: Promise<number>): Promise<ChatMessage> {
    const seq = await reserved;
    const message: StoredMessage = { ...fields, id: randomUUID(), seq, sentAt: now() };
    await timed('commit', () => guardStore(() => writer.write(message)));
    return toChatMessage(message);
  }

  /**
   * Stores a message, idempotently when it has a clientMsgId. A resent
   * clientMsgId is not looked up before the write: the unique index on (room,
   * user, clientMsgId) refuses the duplicate row, the writer commits its
   * neighbours without it, and only then is the stored message read. The
   * common send costs no database read at all.
   */
  async function storeOnce(fields: NewMessage, admit: (() => Promise<void>) | undefined): Promise<ChatMessage> {
    const reserved = reserveSeq(fields.roomId);
    if (admit) {
      try {
        await timed('admit', admit);
      } catch (err) {
        skipSeq(fields.roomId, reserved);
        throw err;
      }
    }
    try {
      return await storeNew(fields, reserved);
    } catch (err) {
      if (fields.clientMsgId === undefined) throw err;
      // Already stored (a resend), or stored by the same send racing on another node: answer with the stored one.
      const stored = await deps.store.findByClientMsgId(fields.roomId, fields.userId, fields.clientMsgId).catch(() => undefined);
      if (!stored) throw err;
      const ours = await reserved.catch(() => undefined);
      if (ours !== undefined && ours !== stored.seq) skipSeq(fields.roomId, reserved);
      return toChatMessage(stored);
    }
  }

  /** One send at a time per (room, user, clientMsgId) on this node. */
  function dedupe(fields: NewMessage, admit: (() => Promise<void>) | undefined): Promise<ChatMessage> {
    if (fields.clientMsgId === undefined) return storeOnce(fields, admit);
    const key = `${fields.roomId}\u0000${fields.userId}\u0000${fields.clientMsgId}`;
    const running = inFlight.get(key);
    if (running) return running;
    const sending = storeOnce(fields, admit).finally(() => inFlight.delete(key));
    inFlight.set(key, sending);
    return sending;
  }

  return {
    /** A user's message, held to the user's message rate. Resolves once durable; same clientMsgId, same message. */
    send(fields: NewMessage): Promise<ChatMessage> {
      refuseIfLimited(fields.userId);
      return dedupe(fields, () => consumeMessagePoint(fields.userId));
    },

    /** A message the server itself vouches for (announcements, the server API): no rate limit. */
    post(fields: NewMessage): Promise<ChatMessage> {
      return dedupe(fields, undefined);
    },

    /** A request that may post announcements (a `join`) spends one of the user's message points. */
    async chargeMessagePoint(userId: string): Promise<void> {
      refuseIfLimited(userId);
      await consumeMessagePoint(userId);
    },

    /** Commits what is queued and waits for commits in flight. Idempotent. */
    close: () => writer.close(),
  };
}

export type MessagePath = ReturnType<typeof createMessagePath>;

function pruneExpired(until: Map<string, number>, now: number): void {
  for (const [key, t] of until) if (t <= now) until.delete(key);
}
