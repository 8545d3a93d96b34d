import { ChatError, EVENTS, toErrorBody } from '@chat/protocol';
import type { Ack } from '@chat/protocol';
import type { ChatSocket } from './chat-socket';

/** The requests a client may send. Everything else, socket.io's reserved names included, is refused. */
export const REQUEST_EVENTS = new Set<string>([EVENTS.message, EVENTS.history, EVENTS.join, EVENTS.leave]);

export interface RequestGuardOptions {
  /** Requests per socket per window (SOCKET_EVENT_RATE_LIMIT). */
  eventRate: { points: number; durationSec: number };
  /** The frame that carried the request exceeded the soft frame limit (frame-guard.ts). */
  frameTooLarge: (socket: ChatSocket) => boolean;
  onRefused: (code: string) => void;
  now?: () => number;
}

/** socket.io emits a refused request as an `error` on the socket; it has been answered already. */
function ignoreRefused(): void {}

/**
 * Runs before any handler sees an incoming event: an unknown event, a
 * reserved one (`disconnect`, `error`… which the msgpack parser lets through
 * and socket.io would otherwise emit as if it were its own), a socket over its
 * event rate, or a frame over the soft limit is answered with a code and goes
 * no further. The connection stays usable.
 *
 * Built once per node; `attach` gives each socket its window and one small middleware.
 */
export function createRequestGuard(opts: RequestGuardOptions) {
  const now = opts.now ?? Date.now;
  const windowMs = opts.eventRate.durationSec * 1000;

  function refusal(socket: ChatSocket, event: string): ChatError | undefined {
    if (!REQUEST_EVENTS.has(event)) return new ChatError('bad_request', `Unknown event "${event}".`);
    const t = now();
    if (t - socket.data.eventWindowStart >= windowMs) {
      socket.data.eventWindowStart = t;
      socket.data.eventCount = 0;
    }
    if (++socket.data.eventCount > opts.eventRate.points) {
      const retryAfterSec = Math.max(1, Math.ceil((socket.data.eventWindowStart + windowMs - t) / 1000));
      return new ChatError('rate_limited', 'Too many requests on this connection; slow down.', retryAfterSec);
    }
    if (opts.frameTooLarge(socket)) return new ChatError('too_large', 'The frame exceeds 64 KB.');
    return undefined;
  }

  function check(socket: ChatSocket, packet: unknown[], next: (err?: Error) => void): void {
    const event = typeof packet[0] === 'string' ? packet[0] : String(packet[0]);
    const refused = refusal(socket, event);
    if (!refused) return next();
    const error = toErrorBody(refused);
    opts.onRefused(error.code);
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') (ack as (reply: Ack) => void)({ ok: false, error });
    else socket.emit(EVENTS.error, { ...error, event: event.slice(0, 64) });
    next(refused);
  }

  return {
    attach(socket: ChatSocket): void {
      socket.data.eventWindowStart = now();
      socket.data.eventCount = 0;
      // socket.io calls middlewares without the socket: this one closure per socket carries it.
      socket.use((packet, next) => check(socket, packet, next));
      socket.on('error' as never, ignoreRefused);
    },
  };
}
