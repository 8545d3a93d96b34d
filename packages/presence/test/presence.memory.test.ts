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

/**
 * A memory backend that fails every call while `down` (or only the calls named in `failing`), as an
 * unreachable Redis does; counts each node's successful heartbeats; `wipe` forgets everything, as a
 * Redis restarted without its data does.
 */
function flakyBackend() {
  const beats = new Map<string, number>();
  const state = createMemoryPresenceState();
  const inner = memoryBackend(state, Date.now);
  const flaky = {
    down: false,
    failing: new Set<keyof PresenceBackend>(),
    beatsOf: (nodeId: string) => beats.get(nodeId) ?? 0,
    wipe: () => Object.values(state).forEach((m: Map<unknown, unknown>) => m.clear()),
    backend: new Proxy(inner, {
      get(target, prop: keyof PresenceBackend) {
        const fn = target[prop] as (...args: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          if (flaky.down || flaky.failing.has(prop)) throw new Error('backend unreachable');
          const result = await fn.apply(target, args);
          if (prop === 'heartbeat') beats.set(String(args[0]), flaky.beatsOf(String(args[0])) + 1);
          return result;
        };
      },
    }),
  };
  return flaky;
}

describe('presence across a backend outage', () => {
  const opts = { heartbeatIntervalMs: 20, nodeTtlMs: 200 };
  const u = { userId: 'u', nickName: 'n', headNum: 0 };

  test('after an outage longer than the TTL, nodes do not reap each other; a node that stops beating is still reaped', async () => {
    const flaky = flakyBackend();
    const departures: Departure[] = [];
    const onDepartures = (d: Departure[]) => departures.push(...d);
    const a = createPresenceNode(flaky.backend, { ...opts, nodeId: 'a' });
    const b = createPresenceNode(flaky.backend, { ...opts, nodeId: 'b' });
    a.onDepartures(onDepartures);
    b.onDepartures(onDepartures);
    try {
      a.start();
      b.start();
      await b.join('r', u, 'c');
      // Long enough beating for reaping to be armed on both.
      await waitFor(() => flaky.beatsOf('a') >= 15 && flaky.beatsOf('b') >= 15, 'both nodes beating for a TTL');
      flaky.down = true;
      const failedFrom = Date.now();
      await waitFor(() => Date.now() - failedFrom > 2 * opts.nodeTtlMs, 'an outage of two TTLs', 2000);
      flaky.down = false;
      const resumed = { a: flaky.beatsOf('a'), b: flaky.beatsOf('b') };
      // Two TTLs of beats after the outage: any reaping would have happened by now.
      await waitFor(() => flaky.beatsOf('a') >= resumed.a + 20 && flaky.beatsOf('b') >= resumed.b + 20, 'two TTLs of beats after the outage');
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

  test('a leave the backend did not take is sent again once it answers, and reported as a departure', async () => {
    const flaky = flakyBackend();
    const departures: Departure[] = [];
    const a = createPresenceNode(flaky.backend, { ...opts, nodeId: 'a' });
    a.onDepartures((d) => departures.push(...d));
    try {
      a.start();
      await a.join('r', u, 'c1');
      flaky.down = true;
      await expect(a.leave('r', 'u', 'c1')).rejects.toThrow('unreachable');
      flaky.down = false;
      await waitFor(() => departures.length > 0, 'the leave sent again');
      expect(departures).toEqual([{ roomId: 'r', member: u }]);
      expect(await a.isOnline('r', 'u')).toBe(false);
    } finally {
      await a.close();
    }
  });

  test('connections the node could not add back after the backend forgot it are added at a later heartbeat', async () => {
    const flaky = flakyBackend();
    const restored: string[][] = [];
    const a = createPresenceNode(flaky.backend, { ...opts, nodeId: 'a' });
    a.onRestored((rooms) => restored.push(rooms));
    try {
      a.start();
      await a.join('r', u, 'c1');
      const beats = flaky.beatsOf('a');
      flaky.failing.add('join');
      flaky.wipe();
      await waitFor(() => flaky.beatsOf('a') >= beats + 3, 'heartbeats while the joins fail');
      expect(await a.isOnline('r', 'u')).toBe(false);
      flaky.failing.clear();
      await waitFor(() => restored.length > 0, 'the connections added back');
      expect(restored).toEqual([['r']]);
      expect(await a.isOnline('r', 'u')).toBe(true);
    } finally {
      await a.close();
    }
  });
});
