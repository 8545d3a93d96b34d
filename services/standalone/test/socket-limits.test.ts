import { createClientPool, newSession } from '@chat/testkit';
import type { WireTarget } from '@chat/testkit';
import { embeddedTarget } from './targets';

/** Per-connection limits that keep one socket from holding the node's resources (bus subscriptions, presence). */
describe('per-connection limits', () => {
  let t: WireTarget;
  const pool = createClientPool();

  beforeAll(async () => {
    t = await embeddedTarget({ env: { ROOMS_PER_SOCKET_MAX: '3' } });
  }, 60_000);
  afterEach(() => pool.closeAll());
  afterAll(() => t?.close());

  test('a join past ROOMS_PER_SOCKET_MAX is refused with limit_exceeded; after a leave it succeeds', async () => {
    const first = await newSession(t.url);
    const others = [];
    for (let i = 0; i < 3; i++) others.push(await newSession(t.url, { nickName: first.nickName }));
    const c = await pool.open(t.url, { token: first.token, roomId: first.roomId });
    await c.waitForMessage((m) => m.event === 'join' && m.roomId === first.roomId, 'in the first room');
    expect(await c.request('join', { roomId: others[0]!.roomId })).toMatchObject({ ok: true });
    expect(await c.request('join', { roomId: others[1]!.roomId })).toMatchObject({ ok: true });
    // A room it is already in does not count again.
    expect(await c.request('join', { roomId: others[1]!.roomId })).toMatchObject({ ok: true });
    const refused = await c.request('join', { roomId: others[2]!.roomId });
    expect(refused).toMatchObject({ ok: false, error: { code: 'limit_exceeded' } });
    expect(await c.request('message', { roomId: others[2]!.roomId, content: 'not in it' })).toMatchObject({ ok: false, error: { code: 'not_member' } });

    expect(await c.request('leave', { roomId: others[0]!.roomId })).toMatchObject({ ok: true });
    expect(await c.request('join', { roomId: others[2]!.roomId })).toMatchObject({ ok: true });
    expect(await c.request('message', { roomId: others[2]!.roomId, content: 'now in it' })).toMatchObject({ ok: true });
  });
});
