import type { Socket } from 'socket.io';
import { LIMITS } from '@chat/protocol';

/**
 * Remembers the size of the last frame a socket received, so the event
 * handler can answer `too_large` instead of engine.io closing the connection.
 * (engine.io's own limit, maxHttpBufferSize, stays as a far larger hard cap.)
 */
export function trackFrameSize(socket: Socket): () => boolean {
  let lastBytes = 0;
  socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
    if (packet.type !== 'message') return;
    const d = packet.data;
    lastBytes = typeof d === 'string' ? Buffer.byteLength(d) : Buffer.isBuffer(d) ? d.length : 0;
  });
  return () => lastBytes > LIMITS.frameBytesMax;
}
