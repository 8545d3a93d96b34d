import { queuedBytes, startSlowConsumerSweep } from '../src/slow-consumers';
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

describe('slow consumers', () => {
  test('queued bytes count held packets (text and binary) and what the WebSocket has not written', () => {
    expect(queuedBytes(conn(['abc', Buffer.alloc(10), undefined], 100))).toBe(113);
    expect(queuedBytes(conn([], undefined, true))).toBe(0);
  });

  test('a sweep cuts only connections over the limit: WebSockets are terminated, polling ones closed discarding', () => {
    const quiet = conn([]);
    const busyButUnder = conn(['x'.repeat(50)], 40);
    const stalled = conn(['x'.repeat(80)], 40);
    const stalledPolling = conn(['x'.repeat(200)], undefined, true);
    const cuts: number[] = [];
    const sweep = startSlowConsumerSweep({
      connections: () => [quiet, busyButUnder, stalled, stalledPolling],
      maxQueuedBytes: 100,
      intervalMs: 60_000,
      onCut: (queued) => cuts.push(queued),
    });
    try {
      expect(sweep.sweep()).toBe(2);
      expect([quiet.cut, busyButUnder.cut, stalled.cut, stalledPolling.cut]).toEqual(['', '', 'terminate', 'close(discard)']);
      expect(cuts).toEqual([120, 200]);
    } finally {
      sweep.close();
      sweep.close();
    }
  });
});
