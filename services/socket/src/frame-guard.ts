import type { Socket } from 'socket.io';
import { LIMITS } from '@chat/protocol';

/** engine.io's socket with the size of the last frame it received, written by `rememberFrameSize`. */
interface SizedConnection {
  lastFrameBytes?: number;
}

/** One listener for every connection (engine.io calls it with the connection as `this`): no closure per socket. */
function rememberFrameSize(this: SizedConnection, packet: { type: string; data?: unknown }): void {
  if (packet.type !== 'message') return;
  const d = packet.data;
  this.lastFrameBytes = typeof d === 'string' ? Buffer.byteLength(d) : Buffer.isBuffer(d) ? d.length : 0;
}

/**
 * Remembers the size of the last frame a socket received, so the event
 * handler can answer `too_large` instead of engine.io closing the connection.
 * (engine.io's own limit, maxHttpBufferSize, stays as a far larger hard cap.)
 */
export function trackFrameSize(socket: Socket): void {
  socket.conn.on('packet', rememberFrameSize);
}

/** The frame that carried the request being handled exceeded the soft limit. */
export function frameTooLarge(socket: Socket): boolean {
  return ((socket.conn as unknown as SizedConnection).lastFrameBytes ?? 0) > LIMITS.frameBytesMax;
}
