import type { ChatMessage } from '@chat/protocol';
import { startApiNode } from '@chat/api';
import type { RunningNode } from '@chat/runtime';
import { REDIS_URL, connect, newSession, randomSuffix, tempMysqlDatabase } from '@chat/testkit';
import type { TestClient } from '@chat/testkit';
import { startSocketNode } from '../src';

// Big rooms across nodes: with announcements and full lists limited to one
// member, a join or leave on one node reaches members on the other only
// through the members-changed signal on the room's Redis bus channel.
jest.setTimeout(60_000);

type SocketNode = Awaited<ReturnType<typeof startSocketNode>>;

let db: Awaited<ReturnType<typeof tempMysqlDatabase>>;
let api: RunningNode;
let s1: SocketNode;
let s2: SocketNode;
const clients: TestClient[] = [];

beforeAll(async () => {
  db = await tempMysqlDatabase('chat_bigroom');
  const env = {
    HOST: '127.0.0.1',
    PORT: '0',
    MYSQL_URL: db.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: `t${randomSuffix()}`,
    TOKEN_SECRET: 'big-room-test-secret-'.padEnd(48, 'b'),
    MEMBERS_INTERVAL_MS: '50',
    ANNOUNCE_MAX_MEMBERS: '1',
    MEMBERS_FULL_LIST_MAX: '1',
    LOG_LEVEL: 'warn',
  };
  api = await startApiNode({ ...env, NODE_ID: 'api-1' });
  s1 = await startSocketNode({ ...env, NODE_ID: 'socket-1' });
  s2 = await startSocketNode({ ...env, NODE_ID: 'socket-2' });
}, 60_000);

afterEach(() => clients.splice(0).forEach((c) => c.close()));

afterAll(async () => {
  await Promise.all([s1?.close(), s2?.close(), api?.close()]);
  await db?.drop();
}, 60_000);

async function openOn(node: SocketNode, token: string, roomId: string): Promise<TestClient> {
  const c = await connect(node.url, { token, roomId });
  clients.push(c);
  return c;
}

test('an unannounced join and leave on one node reach a member on the other as members_diff and members', async () => {
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
