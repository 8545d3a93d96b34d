import { startConnectionSweep } from '../src/connection-sweep';
import { queuedBytes } from '../src/slow-consumers';
import type { QueuedConnection } from '../src/slow-consumers';

/** A connection stand-in: held packets, WebSocket buffered bytes, and what closed it. */
function conn(held: unknown[], buffered?: number, polling = false) {
  const c = {
    writeBuffer: held.map((data) => ({ data })),
    transport: polling ? {} : { socket: { bufferedAmount: buffered ?? 0, terminate: () => (c.cut = 'terminate') } },
    cut: '' as string,
    close: (discard?: boolean) => (c.cut = discard ? 'close(discard)' : 'close'),
  };
  return c as typeof c & QueuedConnection;
}

interface FakeSocket {
  name: string;
  conn: ReturnType<typeof conn>;
  expiresAt: number;
}

describe('connection sweep', () => {
  test('queued bytes count held packets (text and binary) and what the WebSocket has not written', () => {
    expect(queuedBytes(conn(['abc', Buffer.alloc(10), undefined], 100))).toBe(113);
    expect(queuedBytes(conn([], undefined, true))).toBe(0);
  });

  test('ends expired sessions and cuts only connections over the queue limit (WebSockets terminated, polling closed discarding)', () => {
    const NOW = 50_000;
    const sockets: FakeSocket[] = [
      { name: 'quiet', conn: conn([]), expiresAt: NOW + 1 },
      { name: 'busy but under', conn: conn(['x'.repeat(50)], 40), expiresAt: NOW + 1 },
      { name: 'stalled', conn: conn(['x'.repeat(80)], 40), expiresAt: NOW + 1 },
      { name: 'stalled polling', conn: conn(['x'.repeat(200)], undefined, true), expiresAt: NOW + 1 },
      { name: 'expired and stalled', conn: conn(['x'.repeat(500)]), expiresAt: NOW },
    ];
    const expired: string[] = [];
    const cuts: Array<[string, number]> = [];
    const sweep = startConnectionSweep<FakeSocket>({
      sockets: () => sockets,
      connOf: (s) => s.conn,
      expiresAt: (s) => s.expiresAt,
      maxQueuedBytes: 100,
      intervalMs: 60_000,
      now: () => NOW,
      onExpired: (s) => expired.push(s.name),
      onCut: (s, queued) => cuts.push([s.name, queued]),
    });
    try {
      sweep.sweep();
      expect(expired).toEqual(['expired and stalled']);
      expect(cuts).toEqual([
        ['stalled', 120],
        ['stalled polling', 200],
      ]);
      expect(sockets.map((s) => s.conn.cut)).toEqual(['', '', 'terminate', 'close(discard)', '']);
    } finally {
      sweep.close();
      sweep.close();
    }
  });
});
