import { createMemoryPresence, createMemoryPresenceState, type MemoryPresenceState } from '../src';
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
