import { createMemoryPresence, createMemoryPresenceState, type Departure, type MemoryPresenceState } from '../src';
import type { PresenceBackend } from '../src/backend';
import { memoryBackend } from '../src/memory';
import { createPresenceNode } from '../src/node';
import { waitFor } from './wait';
import { presenceContract } from './presence-contract';

let state: MemoryPresenceState = createMemoryPresenceState();

presenceContract('memory', (nodeId, opts) => createMemoryPresence({ ...opts, nodeId, state }), {
  beforeEach: () => {
    state = createMemoryPresenceState();
  },
});

describe('memory presence', () => {
  test('reaping follows the injected clock', async () => {
    let now = 1_000;
    const shared = createMemoryPresenceState();
    const clock = () => now;
    const dead = createMemoryPresence({ nodeId: 'dead', state: shared, now: clock, nodeTtlMs: 10_000 });
    const live = createMemoryPresence({ nodeId: 'live', state: shared, now: clock, nodeTtlMs: 10_000 });
    dead.start();
    live.start();
    await dead.close();
    await live.close();
    await dead.join('r', { userId: 'u', nickName: 'n', headNum: 0 }, 'c');
    expect(await live.reapDeadNodes()).toEqual([]);
    now += 10_001;
    expect(await live.reapDeadNodes()).toEqual([{ roomId: 'r', member: { userId: 'u', nickName: 'n', headNum: 0 } }]);
    expect(shared.nodes.has('dead')).toBe(false);
    expect(shared.rooms.size).toBe(0);
    expect(shared.userConns.size).toBe(0);
  });
});

describe('presence across a backend outage', () => {
  test('after an outage longer than the TTL, nodes do not reap each other; a node that stops beating is still reaped', async () => {
    const shared = createMemoryPresenceState();
    let down = false;
    const beats = new Map<string, number>();
    const inner = memoryBackend(shared, Date.now);
    // Every call fails while `down`, as with an unreachable Redis; successful heartbeats are counted per node.
    const backend = new Proxy(inner, {
      get(target, prop: keyof PresenceBackend) {
        const fn = target[prop] as (...args: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          if (down) throw new Error('backend unreachable');
          const result = await fn.apply(target, args);
          if (prop === 'heartbeat') beats.set(String(args[0]), (beats.get(String(args[0])) ?? 0) + 1);
          return result;
        };
      },
    });
    const departures: Departure[] = [];
    const opts = { heartbeatIntervalMs: 20, nodeTtlMs: 200, onDepartures: (d: Departure[]) => departures.push(...d) };
    const a = createPresenceNode(backend, { ...opts, nodeId: 'a' });
    const b = createPresenceNode(backend, { ...opts, nodeId: 'b' });
    const beatsOf = (n: string) => beats.get(n) ?? 0;
    try {
      a.start();
      b.start();
      await b.join('r', { userId: 'u', nickName: 'n', headNum: 0 }, 'c');
      // Long enough beating for reaping to be armed on both.
      await waitFor(() => beatsOf('a') >= 15 && beatsOf('b') >= 15, 'both nodes beating for a TTL');
      down = true;
      const failedFrom = Date.now();
      await waitFor(() => Date.now() - failedFrom > 2 * opts.nodeTtlMs, 'an outage of two TTLs', 2000);
      down = false;
      const resumed = { a: beatsOf('a'), b: beatsOf('b') };
      // Two TTLs of beats after the outage: any reaping would have happened by now.
      await waitFor(() => beatsOf('a') >= resumed.a + 20 && beatsOf('b') >= resumed.b + 20, 'two TTLs of beats after the outage');
      expect(departures).toEqual([]);
      expect(await a.isOnline('r', 'u')).toBe(true);
      // A node that stops beating for good is still reaped.
      await b.close();
      await waitFor(() => departures.length === 1, 'b reaped after it stopped', 2000);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
