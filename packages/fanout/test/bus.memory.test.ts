import { createMemoryBus, createMemoryBusHub } from '../src';
import type { MeteredRoomBus } from '../src';
import { busContract } from './bus-contract';
import { batch, msg, onMessages, uid, waitFor } from './helpers';

busContract('memory', async () => {
  const hub = createMemoryBusHub();
  const buses: MeteredRoomBus[] = [];
  return {
    async makeBus() {
      const bus = createMemoryBus({ hub });
      buses.push(bus);
      return bus;
    },
    async teardown() {
      await Promise.all(buses.map((b) => b.close()));
    },
  };
});

describe('memory bus', () => {
  test('delivers asynchronously, never inside publish', async () => {
    const bus = createMemoryBus();
    const room = uid('room');
    let calls = 0;
    onMessages(bus, () => calls++);
    await bus.subscribe(room);
    const p = bus.publish(room, batch([msg(room, 1)]));
    expect(calls).toBe(0);
    await p;
    await waitFor(() => calls === 1, 'delivery');
    await bus.close();
  });

  test('a throwing handler goes to onError, not to the microtask queue', async () => {
    const errors: unknown[] = [];
    const bus = createMemoryBus({ onError: (e) => errors.push(e) });
    const room = uid('room');
    onMessages(bus, () => {
      throw new Error('boom');
    });
    await bus.subscribe(room);
    await bus.publish(room, batch([msg(room, 1)]));
    await waitFor(() => errors.length === 1, 'error reported');
    await bus.close();
  });
});
