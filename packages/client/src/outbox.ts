import type { ChatMessage } from '@chat/protocol';
import type { ClientError } from './errors';
import { isTransient } from './errors';
import { newClientMsgId } from './ids';

/** `queued`: waits for its room to be joined on a live connection; `sending`: sent, no answer yet; `retrying`: refused for now, sent again at `retryAt`. */
export type OutgoingState = 'queued' | 'sending' | 'retrying';

/** A message not yet acknowledged as stored. */
export interface OutgoingMessage {
  readonly clientMsgId: string;
  readonly roomId: string;
  readonly content: string;
  readonly createdAt: number;
  readonly state: OutgoingState;
  /** Times it was sent. */
  readonly attempts: number;
  /** Why the last attempt did not store it. */
  readonly lastError?: string;
  readonly retryAt?: number;
}

interface Entry {
  clientMsgId: string;
  roomId: string;
  content: string;
  createdAt: number;
  state: OutgoingState;
  attempts: number;
  lastError?: string;
  retryAt?: number;
  resolve(message: ChatMessage): void;
  reject(err: ClientError): void;
}

export interface OutboxOptions {
  /** First retry delay after a transient refusal without `retryAfterSec`; doubles per attempt. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/**
 * Messages from `send` until the server acknowledges them as stored. Every
 * message keeps the clientMsgId it was given for all its attempts, so a resend
 * after a lost ack or a dead node is stored once (the server dedupes by it)
 * and answered with the stored message. Pure: the client sends what `due`
 * returns and reports each outcome.
 */
export class Outbox {
  private readonly entries = new Map<string, Entry>();
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(opts: OutboxOptions = {}) {
    this.retryBaseMs = opts.retryBaseMs ?? 250;
    this.retryMaxMs = opts.retryMaxMs ?? 5000;
  }

  add(roomId: string, content: string, now: number, clientMsgId: string = newClientMsgId()): { clientMsgId: string; stored: Promise<ChatMessage> } {
    let resolve!: (m: ChatMessage) => void;
    let reject!: (e: ClientError) => void;
    const stored = new Promise<ChatMessage>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.entries.set(clientMsgId, { clientMsgId, roomId, content, createdAt: now, state: 'queued', attempts: 0, resolve, reject });
    return { clientMsgId, stored };
  }

  /**
   * What to send now, oldest first, marked `sending`: messages of rooms that
   * `ready` accepts, at most `maxInFlight` in flight in all. A room's
   * messages go in order: one waiting for its retry time holds back the ones
   * after it.
   */
  due(now: number, ready: (roomId: string) => boolean, maxInFlight: number): OutgoingMessage[] {
    let inFlight = 0;
    for (const e of this.entries.values()) if (e.state === 'sending') inFlight++;
    const blocked = new Set<string>();
    const out: OutgoingMessage[] = [];
    for (const e of this.entries.values()) {
      if (inFlight >= maxInFlight) break;
      if (e.state === 'sending' || blocked.has(e.roomId)) continue;
      if (!ready(e.roomId) || (e.state === 'retrying' && (e.retryAt ?? 0) > now)) {
        blocked.add(e.roomId);
        continue;
      }
      e.state = 'sending';
      e.attempts++;
      delete e.retryAt;
      inFlight++;
      out.push(snapshot(e));
    }
    return out;
  }

  /** The server stored it (on this attempt or an earlier one): settles `send`. */
  acked(clientMsgId: string, message: ChatMessage): void {
    const e = this.entries.get(clientMsgId);
    if (!e) return;
    this.entries.delete(clientMsgId);
    e.resolve(message);
  }

  /**
   * Attempt number `attempt` was refused or got no answer. Transient errors
   * schedule a retry (after `retryAfterSec`, or a backoff); any other error
   * rejects `send`. Outcomes of an attempt that is no longer the current one are ignored.
   */
  failed(clientMsgId: string, attempt: number, err: ClientError, now: number): void {
    const e = this.entries.get(clientMsgId);
    if (!e || e.state !== 'sending' || e.attempts !== attempt) return;
    e.lastError = err.code;
    if (!isTransient(err) && err.code !== 'not_member') {
      this.entries.delete(clientMsgId);
      e.reject(err);
      return;
    }
    e.state = 'retrying';
    const backoff = Math.min(this.retryBaseMs * 2 ** Math.max(0, e.attempts - 1), this.retryMaxMs);
    e.retryAt = now + (err.retryAfterSec !== undefined ? err.retryAfterSec * 1000 : backoff);
  }

  /** The connection went away: what was in flight is sent again on the next one (same clientMsgId). */
  interrupted(): void {
    for (const e of this.entries.values()) {
      if (e.state !== 'sending') continue;
      e.state = 'queued';
      e.lastError = 'network';
    }
  }

  /** Rejects every message of a room the client is no longer in. */
  dropRoom(roomId: string, err: ClientError): void {
    for (const e of [...this.entries.values()]) {
      if (e.roomId !== roomId) continue;
      this.entries.delete(e.clientMsgId);
      e.reject(err);
    }
  }

  rejectAll(err: ClientError): void {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) e.reject(err);
  }

  /** The earliest retry time of a message waiting for one. */
  nextRetryAt(): number | undefined {
    let at: number | undefined;
    for (const e of this.entries.values()) if (e.state === 'retrying' && (at === undefined || e.retryAt! < at)) at = e.retryAt;
    return at;
  }

  list(roomId?: string): OutgoingMessage[] {
    return [...this.entries.values()].filter((e) => roomId === undefined || e.roomId === roomId).map(snapshot);
  }

  get size(): number {
    return this.entries.size;
  }
}

function snapshot(e: Entry): OutgoingMessage {
  const s: { -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K] } = {
    clientMsgId: e.clientMsgId,
    roomId: e.roomId,
    content: e.content,
    createdAt: e.createdAt,
    state: e.state,
    attempts: e.attempts,
  };
  if (e.lastError !== undefined) s.lastError = e.lastError;
  if (e.retryAt !== undefined) s.retryAt = e.retryAt;
  return s;
}
