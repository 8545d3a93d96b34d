import { EVENTS } from '@chat/protocol';
import type { Logger, Metrics } from '@chat/observability';
import type { ChatSocket } from './chat-socket';
import { cutConnection, queuedBytes } from './slow-consumers';
import type { QueuedConnection } from './slow-consumers';

/** How often every connection's token expiry and outgoing queue are checked. */
const CONNECTION_SWEEP_MS = 1000;

/** The node's sweep over its sockets: expired sessions end, connections whose client stopped reading are cut. */
export function sweepSockets(sockets: { values(): Iterable<ChatSocket> }, opts: { maxQueuedBytes: number; metrics: Metrics; logger: Logger }): ConnectionSweep {
  return startConnectionSweep<ChatSocket>({
    sockets: () => sockets.values(),
    connOf: (socket) => socket.conn as unknown as QueuedConnection,
    expiresAt: (socket) => socket.data.user.expiresAt,
    maxQueuedBytes: opts.maxQueuedBytes,
    intervalMs: CONNECTION_SWEEP_MS,
    // A connection lives no longer than its token: past it the client must get a new one.
    onExpired: (socket) => {
      socket.emit(EVENTS.error, { code: 'unauthorized', message: 'The session token expired; create a new session and connect again.', event: 'session' });
      socket.disconnect(true);
    },
    onCut: (socket, queued) => {
      opts.metrics.slowConsumersCut.inc();
      opts.logger.info({ queued, userId: socket.data.user.userId }, 'closed a connection whose client stopped reading');
    },
  });
}

export interface ConnectionSweepOptions<S> {
  sockets: () => Iterable<S>;
  /** The socket's engine.io connection. */
  connOf: (socket: S) => QueuedConnection;
  /** When the socket's token expires (epoch ms). */
  expiresAt: (socket: S) => number;
  maxQueuedBytes: number;
  intervalMs: number;
  /** The token expired: the caller ends the session (tells the client, disconnects). */
  onExpired: (socket: S) => void;
  /** The connection was cut for holding more than `maxQueuedBytes` for its client. */
  onCut: (socket: S, queued: number) => void;
  now?: () => number;
}

export interface ConnectionSweep {
  /** One pass now. */
  sweep(): void;
  /** Idempotent. */
  close(): void;
}

/**
 * Once per interval, every socket of the node: ends those whose token expired
 * and cuts those whose client stopped reading (see slow-consumers.ts). One
 * pass over the sockets costs far less than a timer and a listener per
 * connection, which an idle node of 10,000 sockets would keep in memory.
 */
export function startConnectionSweep<S>(opts: ConnectionSweepOptions<S>): ConnectionSweep {
  const now = opts.now ?? Date.now;
  function sweep(): void {
    const t = now();
    for (const socket of opts.sockets()) {
      if (opts.expiresAt(socket) <= t) {
        opts.onExpired(socket);
        continue;
      }
      const conn = opts.connOf(socket);
      // Most sockets hold nothing: skip them without summing.
      if (conn.writeBuffer.length === 0 && (conn.transport.socket?.bufferedAmount ?? 0) <= opts.maxQueuedBytes) continue;
      const queued = queuedBytes(conn);
      if (queued <= opts.maxQueuedBytes) continue;
      cutConnection(conn);
      opts.onCut(socket, queued);
    }
  }
  let timer: NodeJS.Timeout | undefined = setInterval(sweep, opts.intervalMs);
  timer.unref();
  return {
    sweep,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
