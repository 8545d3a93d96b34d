import { randomUUID } from 'crypto';
import type { Departure, PresenceMember, PresenceOptions, PresenceStore } from '../src';
import { waitFor } from './wait';

/** Builds one node over the backend shared by every node of the current test. */
export type MakeNode = (nodeId: string, opts?: Omit<PresenceOptions, 'nodeId'>) => PresenceStore;

export interface ContractHooks {
  /** Before each test: a fresh shared backend (new state, new key prefix). */
  beforeEach?: () => void | Promise<void>;
  /** After each test, once every node it made is closed: remove what it left. */
  afterEach?: () => void | Promise<void>;
}

const member = (userId: string, nickName = `nick-${userId}`, headNum = 1): PresenceMember => ({ userId, nickName, headNum });
const room = () => `room-${randomUUID()}`;
const key = (d: Departure) => `${d.roomId}/${d.member.userId}`;

/**
 * Reaping timings: a crashed node goes within about 1.6 s, while a live node
 * would need an event-loop stall of 1.4 s (fifteen missed beats) to be taken
 * for dead, which even a heavily loaded 2-core CI machine does not reach.
 */
const FAST = { heartbeatIntervalMs: 100, nodeTtlMs: 1500 };

/**
 * The behaviour every PresenceStore must show, run against each backend.
 * `makeNode` must return nodes that share one backend for the current test.
 */
/** The background reports a test listens to (set on the store after it is made). */
interface Handlers {
  onDepartures?: (departures: Departure[]) => void;
  onRestored?: (roomIds: string[]) => void;
}

export function presenceContract(name: string, makeNode: MakeNode, hooks: ContractHooks = {}): void {
  describe(`PresenceStore contract: ${name}`, () => {
    let nodes: PresenceStore[] = [];
    const node = (nodeId: string, opts: Omit<PresenceOptions, 'nodeId'> & Handlers = {}) => {
      const { onDepartures, onRestored, ...options } = opts;
      const n = makeNode(nodeId, options);
      if (onDepartures) n.onDepartures(onDepartures);
      if (onRestored) n.onRestored(onRestored);
      nodes.push(n);
      return n;
    };

    beforeEach(async () => {
      nodes = [];
      await hooks.beforeEach?.();
    });

    afterEach(async () => {
      await Promise.all(nodes.map((n) => n.close()));
      await hooks.afterEach?.();
    });

    test('first join is firstForUser, last leave is lastForUser and returns the member', async () => {
      const a = node('a');
      const r = room();
      expect(await a.join(r, member('u1', 'Ann', 3), 'c1')).toEqual({ firstForUser: true });
      expect(await a.isOnline(r, 'u1')).toBe(true);
      expect(await a.leave(r, 'u1', 'c1')).toEqual({ lastForUser: true, member: member('u1', 'Ann', 3) });
      expect(await a.isOnline(r, 'u1')).toBe(false);
      expect(await a.onlineCount(r)).toBe(0);
      expect(await a.members(r)).toEqual([]);
      expect(await a.isUserOnline('u1')).toBe(false);
    });

    test('two tabs of one user on the same node count once', async () => {
      const a = node('a');
      const r = room();
      expect((await a.join(r, member('u1'), 'c1')).firstForUser).toBe(true);
      expect((await a.join(r, member('u1'), 'c2')).firstForUser).toBe(false);
      expect(await a.onlineCount(r)).toBe(1);
      expect(await a.members(r)).toEqual([member('u1')]);
      expect((await a.leave(r, 'u1', 'c1')).lastForUser).toBe(false);
      expect(await a.isOnline(r, 'u1')).toBe(true);
      expect((await a.leave(r, 'u1', 'c2')).lastForUser).toBe(true);
      expect(await a.isOnline(r, 'u1')).toBe(false);
    });

    test('two tabs of one user on different nodes count once', async () => {
      const a = node('a');
      const b = node('b');
      const r = room();
      expect((await a.join(r, member('u1'), 'c1')).firstForUser).toBe(true);
      // Same connection id on another node is another connection.
      expect((await b.join(r, member('u1'), 'c1')).firstForUser).toBe(false);
      expect(await b.onlineCount(r)).toBe(1);
      expect((await a.leave(r, 'u1', 'c1')).lastForUser).toBe(false);
      expect(await b.isOnline(r, 'u1')).toBe(true);
      expect(await a.isUserOnline('u1')).toBe(true);
      expect((await b.leave(r, 'u1', 'c1')).lastForUser).toBe(true);
      expect(await a.isUserOnline('u1')).toBe(false);
    });

    test('joining the same connection twice is idempotent', async () => {
      const a = node('a');
      const r = room();
      expect((await a.join(r, member('u1'), 'c1')).firstForUser).toBe(true);
      expect((await a.join(r, member('u1'), 'c1')).firstForUser).toBe(false);
      expect((await a.leave(r, 'u1', 'c1')).lastForUser).toBe(true);
      expect(await a.isOnline(r, 'u1')).toBe(false);
    });

    test('members lists each user once, in first-join order, with nickName and headNum', async () => {
      const a = node('a');
      const b = node('b');
      const r = room();
      await a.join(r, member('u1', 'Ann', 1), 'c1');
      await b.join(r, member('u2', 'Bob', 7), 'c1');
      await b.join(r, member('u1', 'Ann', 1), 'c2');
      await a.join(r, member('u3', 'Cyd', 12), 'c3');
      expect(await a.members(r)).toEqual([member('u1', 'Ann', 1), member('u2', 'Bob', 7), member('u3', 'Cyd', 12)]);
      expect(await b.onlineCount(r)).toBe(3);
      // A user who leaves and comes back goes to the end.
      await b.leave(r, 'u2', 'c1');
      await b.join(r, member('u2', 'Bob', 7), 'c4');
      expect((await a.members(r)).map((m) => m.userId)).toEqual(['u1', 'u3', 'u2']);
    });

    test('ids and names with separators, quotes and unicode round-trip', async () => {
      const a = node('a|b:{c}');
      const r = `${room()}|x:{y}"`;
      const odd = member('u|1:{2}"', 'Zoë "the" /slash\\ 名字', 42);
      expect((await a.join(r, odd, 'c|1"')).firstForUser).toBe(true);
      expect(await a.members(r)).toEqual([odd]);
      expect(await a.isUserOnline(odd.userId)).toBe(true);
      expect(await a.leave(r, odd.userId, 'c|1"')).toEqual({ lastForUser: true, member: odd });
    });

    test('isOnline, onlineCount and isUserOnline across rooms', async () => {
      const a = node('a');
      const r1 = room();
      const r2 = room();
      expect(await a.isUserOnline('u1')).toBe(false);
      expect(await a.onlineCount(r1)).toBe(0);
      await a.join(r1, member('u1'), 'c1');
      await a.join(r2, member('u1'), 'c2');
      await a.join(r2, member('u2'), 'c3');
      expect(await a.onlineCount(r1)).toBe(1);
      expect(await a.onlineCount(r2)).toBe(2);
      expect(await a.isOnline(r1, 'u2')).toBe(false);
      await a.leave(r1, 'u1', 'c1');
      expect(await a.isUserOnline('u1')).toBe(true);
      await a.leave(r2, 'u1', 'c2');
      expect(await a.isUserOnline('u1')).toBe(false);
      expect(await a.isUserOnline('u2')).toBe(true);
    });

    test('leaving an unknown connection is a no-op', async () => {
      const a = node('a');
      const b = node('b');
      const r = room();
      expect(await a.leave(r, 'u1', 'nope')).toEqual({ lastForUser: false });
      await a.join(r, member('u1'), 'c1');
      expect(await a.leave(r, 'u1', 'nope')).toEqual({ lastForUser: false });
      // Another node cannot remove a connection it does not own, nor another user's.
      expect(await b.leave(r, 'u1', 'c1')).toEqual({ lastForUser: false });
      expect(await a.leave(r, 'u2', 'c1')).toEqual({ lastForUser: false });
      expect(await a.isOnline(r, 'u1')).toBe(true);
      expect((await a.leave(r, 'u1', 'c1')).lastForUser).toBe(true);
      expect(await a.leave(r, 'u1', 'c1')).toEqual({ lastForUser: false });
    });

    test('a leave sent while the same connection is still joining removes it (a socket that drops at once)', async () => {
      const a = node('a');
      for (let i = 0; i < 10; i++) {
        const r = room();
        const [joined, left] = await Promise.all([a.join(r, member('u1'), 'c1'), a.leave(r, 'u1', 'c1')]);
        expect(joined.firstForUser).toBe(true);
        expect(left.lastForUser).toBe(true);
        expect(await a.isOnline(r, 'u1')).toBe(false);
      }
    });

    test('concurrent joins of one user on two nodes yield exactly one firstForUser', async () => {
      const a = node('a');
      const b = node('b');
      for (let i = 0; i < 10; i++) {
        const r = room();
        const results = await Promise.all([a.join(r, member('u1'), 'c1'), b.join(r, member('u1'), 'c1'), a.join(r, member('u1'), 'c2')]);
        expect(results.filter((x) => x.firstForUser)).toHaveLength(1);
        const leaves = await Promise.all([a.leave(r, 'u1', 'c1'), b.leave(r, 'u1', 'c1'), a.leave(r, 'u1', 'c2')]);
        expect(leaves.filter((x) => x.lastForUser)).toHaveLength(1);
        expect(await a.onlineCount(r)).toBe(0);
      }
    });

    test('removeOwnConnections reports only users with no connection left elsewhere', async () => {
      const a = node('a');
      const b = node('b');
      const r1 = room();
      const r2 = room();
      await a.join(r1, member('u1'), 'c1');
      await a.join(r1, member('u1'), 'c2');
      await a.join(r1, member('u2'), 'c3');
      await b.join(r1, member('u2'), 'c4');
      await a.join(r2, member('u2'), 'c5');
      const departures = await a.removeOwnConnections();
      expect(departures.map(key).sort()).toEqual([`${r1}/u1`, `${r2}/u2`].sort());
      expect(departures.find((d) => d.member.userId === 'u1')?.member).toEqual(member('u1'));
      expect(await b.members(r1)).toEqual([member('u2')]);
      expect(await b.onlineCount(r2)).toBe(0);
      expect(await b.isUserOnline('u1')).toBe(false);
      expect(await a.removeOwnConnections()).toEqual([]);
    });

    test('a crashed node is reaped by a survivor; users still connected elsewhere are not reported', async () => {
      const reported: Departure[] = [];
      const crashed = node('crashed', FAST);
      const survivor = node('survivor', { ...FAST, onDepartures: (d) => reported.push(...d) });
      crashed.start();
      survivor.start();
      const r = room();
      await crashed.join(r, member('u1', 'Ann', 2), 'c1');
      await crashed.join(r, member('u1', 'Ann', 2), 'c2');
      await crashed.join(r, member('u2'), 'c3');
      await survivor.join(r, member('u2'), 'c4');
      await crashed.close(); // stops heartbeating, leaves its connections behind

      await waitFor(async () => !(await survivor.isOnline(r, 'u1')), 'the crashed node to be reaped', 10000);
      expect(await survivor.members(r)).toEqual([member('u2')]);
      expect(await survivor.isUserOnline('u1')).toBe(false);
      await survivor.close(); // waits for a pass in flight, so `reported` is final
      expect(reported).toEqual([{ roomId: r, member: member('u1', 'Ann', 2) }]);
    });

    test('two survivors reaping one crashed node report each departure once', async () => {
      const reported: Departure[] = [];
      const onDepartures = (d: Departure[]) => reported.push(...d);
      const crashed = node('crashed', FAST);
      const s1 = node('s1', { ...FAST, onDepartures });
      const s2 = node('s2', { ...FAST, onDepartures });
      crashed.start();
      const rooms = [room(), room(), room()];
      for (const r of rooms) {
        for (let u = 0; u < 5; u++) await crashed.join(r, member(`u${u}`), `c${u}`);
      }
      await s1.join(rooms[0]!, member('u0'), 'live');
      await crashed.close();
      s1.start();
      s2.start();

      await waitFor(async () => (await s1.onlineCount(rooms[2]!)) === 0 && (await s1.onlineCount(rooms[1]!)) === 0, 'reaping', 10000);
      await Promise.all([s1.close(), s2.close()]);
      const expected = rooms.flatMap((r, i) => [0, 1, 2, 3, 4].filter((u) => !(i === 0 && u === 0)).map((u) => `${r}/u${u}`));
      expect(reported.map(key).sort()).toEqual(expected.sort());
      expect(await s1.members(rooms[0]!)).toEqual([member('u0')]);
    });

    test('direct concurrent reapDeadNodes calls split the departures without duplicates', async () => {
      const crashed = node('crashed', FAST);
      const s1 = node('s1', FAST);
      const s2 = node('s2', FAST);
      crashed.start();
      const r = room();
      for (let u = 0; u < 20; u++) await crashed.join(r, member(`u${u}`), `c${u}`);
      await crashed.close();
      // Survivors are not started: only the direct calls below reap.
      let departures: Departure[] = [];
      await waitFor(
        async () => {
          const [d1, d2] = await Promise.all([s1.reapDeadNodes(), s2.reapDeadNodes()]);
          departures = departures.concat(d1, d2);
          return departures.length > 0;
        },
        'the crashed node to expire',
        10000,
      );
      expect(departures.map((d) => d.member.userId).sort()).toEqual([...Array(20).keys()].map((u) => `u${u}`).sort());
      expect(await s1.onlineCount(r)).toBe(0);
      expect(await s1.reapDeadNodes()).toEqual([]);
    });

    test('a live, heartbeating node is never reaped', async () => {
      const reported: Departure[] = [];
      const a = node('a', FAST);
      const b = node('b', { ...FAST, onDepartures: (d) => reported.push(...d) });
      a.start();
      b.start();
      const r = room();
      await a.join(r, member('u1'), 'c1');
      // Two TTLs pass while both beat.
      const until = Date.now() + 2 * FAST.nodeTtlMs;
      await waitFor(
        async () => {
          expect(await b.reapDeadNodes()).toEqual([]);
          return Date.now() > until;
        },
        'two TTLs',
        10000,
        50,
      );
      expect(await b.isOnline(r, 'u1')).toBe(true);
      expect(reported).toEqual([]);
    });

    test('errors in a background pass go to onError, and close() is idempotent', async () => {
      const errors: unknown[] = [];
      const a = node('a', {
        ...FAST,
        onError: (e) => errors.push(e),
        onDepartures: () => {
          throw new Error('listener failed');
        },
      });
      const crashed = node('crashed', FAST);
      crashed.start();
      await crashed.join(room(), member('u1'), 'c1');
      await crashed.close();
      a.start();
      a.start();
      await waitFor(() => errors.length > 0, 'onError', 10000);
      expect((errors[0] as Error).message).toBe('listener failed');
      await a.close();
      await a.close();
      a.start(); // after close: stays stopped
    });

    test('rejects nonsensical timings at construction', () => {
      expect(() => makeNode('x', { heartbeatIntervalMs: 1000, nodeTtlMs: 500 })).toThrow(RangeError);
      expect(() => makeNode('', {})).toThrow(RangeError);
    });
  });
}
