import { createPublishRetry } from '../src';
import type { BusEvent, PublishRetryOptions } from '../src';
import { msg } from './helpers';

/** A bus whose publish fails while `down`; records attempts and what went through. */
function flakyBus() {
  const bus = {
    down: true,
    attempts: 0,
    published: [] as Array<[string, number[]]>,
    async publish(roomId: string, event: BusEvent) {
      bus.attempts++;
      if (bus.down) throw new Error('redis unreachable');
      if (event.kind === 'messages') bus.published.push([roomId, event.messages.map((m) => m.seq)]);
    },
  };
  return bus;
}

function setup(opts: PublishRetryOptions = {}) {
  const bus = flakyBus();
  const givenUp: Array<[string, number]> = [];
  const failures: string[] = [];
  const retry = createPublishRetry(bus, {
    onGivenUp: (roomId, messages) => givenUp.push([roomId, messages.length]),
    onFailure: (_err, roomId) => failures.push(roomId),
    ...opts,
  });
  return { bus, retry, givenUp, failures };
}

describe('publish retry', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    expect(jest.getTimerCount()).toBe(0);
    jest.useRealTimers();
  });

  test('a batch the bus refused is published again once it takes it, in the order the batches came', async () => {
    const { bus, retry, failures } = setup();
    retry.publish('a', [msg('a', 1)]);
    retry.publish('b', [msg('b', 7), msg('b', 8)]);
    await jest.advanceTimersByTimeAsync(0);
    expect(failures).toEqual(['a', 'b']);
    expect(retry.waiting()).toBe(2);
    bus.down = false;
    await jest.advanceTimersByTimeAsync(250);
    expect(bus.published).toEqual([
      ['a', [1]],
      ['b', [7, 8]],
    ]);
    expect(retry.waiting()).toBe(0);
    retry.close();
  });

  test('while the bus stays down, rounds back off (one attempt each) up to the maximum', async () => {
    const { bus, retry } = setup({ retryMs: 100, maxRetryMs: 400 });
    retry.publish('a', [msg('a', 1)]);
    retry.publish('a', [msg('a', 2)]);
    await jest.advanceTimersByTimeAsync(0);
    expect(bus.attempts).toBe(2);
    await jest.advanceTimersByTimeAsync(100); // round 1: the first fails, the second is not tried
    expect(bus.attempts).toBe(3);
    await jest.advanceTimersByTimeAsync(199);
    expect(bus.attempts).toBe(3);
    await jest.advanceTimersByTimeAsync(1); // round 2 after 200
    expect(bus.attempts).toBe(4);
    await jest.advanceTimersByTimeAsync(400); // round 3 after 400 (the cap)
    expect(bus.attempts).toBe(5);
    bus.down = false;
    await jest.advanceTimersByTimeAsync(400);
    expect(bus.published.map(([, seqs]) => seqs)).toEqual([[1], [2]]);
    retry.close();
  });

  test('batches older than maxAgeMs are given up; over maxMessages the oldest are', async () => {
    const { bus, retry, givenUp } = setup({ retryMs: 100, maxRetryMs: 100, maxAgeMs: 1000, maxMessages: 3 });
    retry.publish('old', [msg('old', 1)]);
    await jest.advanceTimersByTimeAsync(950);
    retry.publish('x', [msg('x', 1), msg('x', 2)]);
    retry.publish('y', [msg('y', 1), msg('y', 2)]); // 5 kept > 3: 'old' and then 'x' go
    await jest.advanceTimersByTimeAsync(0);
    expect(givenUp).toEqual([
      ['old', 1],
      ['x', 2],
    ]);
    retry.publish('z', [msg('z', 1)]);
    await jest.advanceTimersByTimeAsync(1100); // 'y' and 'z' outlive maxAgeMs while the bus is down
    expect(givenUp.map(([roomId]) => roomId)).toEqual(['old', 'x', 'y', 'z']);
    bus.down = false;
    await jest.advanceTimersByTimeAsync(200);
    expect(bus.published).toEqual([]);
    expect(retry.waiting()).toBe(0);
    retry.close();
  });

  test('a batch the bus takes at once is published once; close drops what waits and is idempotent', async () => {
    const { bus, retry } = setup();
    bus.down = false;
    retry.publish('a', [msg('a', 1)]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(bus.attempts).toBe(1);
    bus.down = true;
    retry.publish('a', [msg('a', 2)]);
    await jest.advanceTimersByTimeAsync(0);
    retry.close();
    retry.close();
    bus.down = false;
    retry.publish('a', [msg('a', 3)]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(bus.published).toEqual([['a', [1]]]);
  });
});
