/**
 * Cuts connections whose client stopped reading.
 *
 * A client that keeps its TCP connection open but reads nothing (a stalled
 * phone, or one that answers heartbeats blindly) makes the node queue every
 * frame of its rooms for it: engine.io holds the packets once the transport
 * stops draining, and nothing bounds them. A sweep measures each socket's
 * queue (connection-sweep.ts) and closes the transport of any over the
 * limit; the client sees a transport close, reconnects and catches up from
 * history. A sweep rather than a check per frame: a frame is broadcast to a
 * whole room at once, and one pass over the node's sockets a second costs far
 * less than a look at every receiver of every frame.
 */

/** What the sweep reads of an engine.io connection (engine.io's `Socket`). */
export interface QueuedConnection {
  /** Packets engine.io holds while the transport is not writable. */
  writeBuffer: ReadonlyArray<{ data?: unknown }>;
  transport: {
    /** The `ws` socket under engine.io's WebSocket transport (absent for polling). */
    socket?: { bufferedAmount?: number; terminate?: () => void };
  };
  close(discard?: boolean): void;
}

/** Bytes waiting to reach the client: engine.io's held packets plus what the WebSocket has not written yet. */
export function queuedBytes(conn: QueuedConnection): number {
  let bytes = conn.transport.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer) {
    const data = packet.data;
    if (typeof data === 'string') bytes += data.length;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) bytes += data.byteLength;
  }
  return bytes;
}

/** Closes the connection at once, dropping what it holds (a polite close would wait behind the queue). */
export function cutConnection(conn: QueuedConnection): void {
  // The WebSocket's closing handshake would queue behind the unread data; end the TCP connection.
  const ws = conn.transport.socket;
  if (ws?.terminate) ws.terminate();
  else conn.close(true);
}
