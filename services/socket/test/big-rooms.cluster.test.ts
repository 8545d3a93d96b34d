import type { ChatMessage } from '@chat/protocol';
import { newSession } from '@chat/testkit';
import { startLocalInProcessNodes } from './in-process-nodes';
import type { InProcessNodes } from './in-process-nodes';

// Big rooms across nodes: with announcements and full lists limited to one
// member, a join or leave on one node reaches members on the other only
// through the members-changed signal on the room's Redis bus channel.
jest.setTimeout(60_000);

let nodes: InProcessNodes;

beforeAll(async () => {
  nodes = await startLocalInProcessNodes('bigroom', { MEMBERS_INTERVAL_MS: '50', ANNOUNCE_MAX_MEMBERS: '1', MEMBERS_FULL_LIST_MAX: '1' });
}, 60_000);

afterEach(() => nodes.closeClients());

afterAll(() => nodes?.close(), 60_000);

test('an unannounced join and leave on one node reach a member on the other as members_diff and members', async () => {
  const { api, s1, s2, openOn } = nodes;
  const sa = await newSession(api.url);
  const sb = await newSession(api.url, { chatroomName: sa.chatroomName });
  const a = await openOn(s1, sa.token, sa.roomId);
  // Alone in the room: announced, and a full list.
  await a.waitForMessage((m) => m.kind === 'system' && m.event === 'join' && m.userId === sa.userId, 'own join');
  await a.waitForMembers((u) => u.members.length === 1, 'a full list of one');

  const b = await openOn(s2, sb.token, sb.roomId);
  await b.waitForMembers((u) => u.members.length === 2, 'the newcomer gets the full list');
  const diff = await a.waitForMembersDiff((d) => d.joined.some((m) => m.userId === sb.userId), 'a learns b joined, across nodes');
  expect(diff).toMatchObject({ roomId: sa.roomId, left: [], count: 2 });

  b.close();
  // Back to one member: the room is small again, so a full list says b is gone.
  await a.waitForMembers((u) => u.members.length === 1 && u.members[0]!.userId === sa.userId, 'a learns b left, across nodes');

  // Neither b's join nor its leave was announced (the room had two online users).
  const history = await a.request<{ messages: ChatMessage[] }>('history', { roomId: sa.roomId });
  if (!history.ok) throw new Error(JSON.stringify(history.error));
  expect(history.messages.filter((m) => m.userId === sb.userId)).toEqual([]);
});
