import { connect, newSession, randomSuffix, waitUntil } from '@chat/testkit';
import type { TestClient, WireTarget } from '@chat/testkit';
import { embeddedTarget } from './targets';

type ChatMessage = TestClient['messages'][number];

/** Whether the client has seen the user online, from a full list or a diff. */
const knows = (client: TestClient, userId: string): boolean =>
  client.members.some((u) => u.members.some((m) => m.userId === userId)) || client.membersDiffs.some((d) => d.joined.some((m) => m.userId === userId));

/**
 * Big rooms (here: above 2 online users). Join and leave announcements stop
 * (n joins would cost n²/2 deliveries), and `members` turns into one full list
 * per socket followed by `members_diff` (full lists to n sockets cost n² bytes).
 */
describe('big rooms (ANNOUNCE_MAX_MEMBERS=2, MEMBERS_FULL_LIST_MAX=2)', () => {
  let target: WireTarget;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    target = await embeddedTarget({ env: { ANNOUNCE_MAX_MEMBERS: '2', MEMBERS_FULL_LIST_MAX: '2' } });
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await target.close();
  });

  const isSystem = (event: 'join' | 'leave', userId: string) => (m: ChatMessage) => m.kind === 'system' && m.event === event && m.userId === userId;

  test('joins and leaves are announced up to 2 online users; beyond that they show in members only', async () => {
    const room = `big-${randomSuffix()}`;
    const sessions = [];
    for (const nickName of ['ann', 'bob', 'cyd', 'dan'])
      sessions.push(await newSession(target.url, { chatroomName: room, nickName: `${nickName}-${randomSuffix()}` }));
    const [a, b, c, d] = sessions as Array<(typeof sessions)[0]> as [(typeof sessions)[0], (typeof sessions)[0], (typeof sessions)[0], (typeof sessions)[0]];

    const ca = await connect(target.url, { token: a.token, roomId: a.roomId });
    clients.push(ca);
    await ca.waitForMessage(isSystem('join', a.userId), 'ann joined');
    const cb = await connect(target.url, { token: b.token, roomId: b.roomId });
    clients.push(cb);
    await ca.waitForMessage(isSystem('join', b.userId), 'bob joined (2 online)');
    const cc = await connect(target.url, { token: c.token, roomId: c.roomId });
    clients.push(cc);
    // Third user: no announcement. cyd gets the full list; the others learn of cyd from a list
    // or a diff (which one depends on whether their own first list went out before cyd came).
    await cc.waitForMembers((u) => u.members.length === 3, 'cyd gets the full list');
    await waitUntil(() => knows(ca, c.userId), { what: 'ann learns cyd joined' });
    await waitUntil(() => knows(cb, c.userId), { what: 'bob learns cyd joined' });

    // A user message after the join proves the join message would have come first (seq order).
    const sent = await ca.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'marker' });
    if (!sent.ok) throw new Error('send failed');
    await cc.waitForMessage((m) => m.id === sent.message.id, 'marker reaches cyd');
    expect(ca.messages.filter(isSystem('join', c.userId))).toEqual([]);

    // dan comes and goes (4 online, then 3): a diff each way, no announcement.
    const cd = await connect(target.url, { token: d.token, roomId: d.roomId });
    clients.push(cd);
    // ann holds a list by now, so she gets only the change.
    const joined = await ca.waitForMembersDiff((x) => x.joined.some((m) => m.userId === d.userId), 'ann learns dan joined');
    expect(joined).toMatchObject({ roomId: a.roomId, left: [], count: 4 });
    expect(ca.members.filter((u) => u.members.some((m) => m.userId === d.userId))).toEqual([]);
    cd.close();
    await ca.waitForMembersDiff((x) => x.left.includes(d.userId) && x.count === 3, 'ann learns dan left');

    // cyd leaves with 3 online: not announced; bob leaves with 2 online: announced.
    cc.close();
    // Back at 2 online the room is small again: full lists.
    await ca.waitForMembers((u) => u.members.length === 2 && !u.members.some((x) => x.userId === c.userId), 'full list without cyd');
    cb.close();
    await ca.waitForMessage(isSystem('leave', b.userId), 'bob left (2 online)');
    expect(ca.messages.filter((m) => m.kind === 'system' && (m.userId === c.userId || m.userId === d.userId))).toEqual([]);

    // History agrees: two joins, one leave, the marker.
    const history = await ca.request<{ messages: ChatMessage[] }>('history', { roomId: a.roomId });
    if (!history.ok) throw new Error('history failed');
    expect(history.messages.map((m) => (m.kind === 'system' ? `${m.event}:${m.userId}` : m.content))).toEqual([
      `join:${a.userId}`,
      `join:${b.userId}`,
      'marker',
      `leave:${b.userId}`,
    ]);
  });
});
