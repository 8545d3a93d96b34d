import { cutConnection, queuedBytes } from './slow-consumers';
import type { QueuedConnection } from './slow-consumers';

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
