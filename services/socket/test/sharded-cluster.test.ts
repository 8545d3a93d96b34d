import type { Server } from 'socket.io';
import type { ChatMessage } from '@chat/protocol';
import { startRedisCluster } from '@chat/devcluster';
import type { RedisClusterHandle } from '@chat/devcluster';
import { newSession, randomSuffix, tempMysqlDatabase, waitUntil, withTimeout } from '@chat/testkit';
import type { TestClient } from '@chat/testkit';
import { startInProcessNodes } from './in-process-nodes';
import type { InProcessNodes, SocketNode } from './in-process-nodes';

// Two socket nodes and an API node in this process, configured with
// REDIS_CLUSTER_NODES against a real 3-master Redis Cluster: socket.io's
// sharded adapter (Redis 7 sharded pub/sub, dynamic subscriptions) and our
// room bus both run on cluster slots. Black-box behaviour through HAProxy on a
// Redis Cluster is in tools/devcluster/test/wire.sharded.test.ts; this file
// looks inside the nodes: adapter requests across nodes and per-node metrics.
jest.setTimeout(60_000);

let redisCluster: RedisClusterHandle;
let db: Awaited<ReturnType<typeof tempMysqlDatabase>>;
let nodes: InProcessNodes;
let api: InProcessNodes['api'];
let s1: SocketNode;
let s2: SocketNode;

beforeAll(async () => {
  redisCluster = await startRedisCluster({ masters: 3 });
  db = await tempMysqlDatabase('chat_sharded');
  const env = {
    HOST: '127.0.0.1',
    PORT: '0',
    MYSQL_URL: db.url,
    REDIS_CLUSTER_NODES: redisCluster.nodes.join(','),
    REDIS_KEY_PREFIX: `t${randomSuffix()}`,
    TOKEN_SECRET: 'sharded-test-secret-'.padEnd(48, 'z'),
    MEMBERS_INTERVAL_MS: '50',
    LOG_LEVEL: 'warn',
  };
  nodes = await startInProcessNodes(env);
  ({ api, s1, s2 } = nodes);
}, 60_000);

afterEach(() => nodes?.closeClients());

afterAll(async () => {
  await nodes?.close();
  await db?.drop();
  await redisCluster?.stop();
}, 60_000);

const openOn = (node: SocketNode, token: string, roomId: string): Promise<TestClient> => nodes.openOn(node, token, roomId);

/** Two users of one room, one on each socket node, both seeing each other. */
async function roomAcrossNodes(): Promise<{ roomId: string; a: TestClient; b: TestClient }> {
  const sa = await newSession(api.url);
  const sb = await newSession(api.url, { chatroomName: sa.chatroomName });
  const a = await openOn(s1, sa.token, sa.roomId);
  const b = await openOn(s2, sb.token, sb.roomId);
  for (const c of [a, b]) await c.waitForMembers((u) => u.members.length === 2, 'both members on both nodes');
  return { roomId: sa.roomId, a, b };
}

/** socket.io's server API without the chat event typing, for adapter-level probes. */
const untyped = (node: SocketNode) => node.io as unknown as Server;

async function busMessagesReceived(node: SocketNode): Promise<number> {
  const metric = await node.ctx.metrics.busMessagesReceived.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

test('the nodes run socket.io with the sharded Redis adapter', () => {
  for (const node of [s1, s2]) expect(node.io.of('/').adapter.constructor.name).toBe('ShardedRedisAdapter');
});

test('chat messages, members and history cross nodes over the Redis Cluster', async () => {
  const { roomId, a, b } = await roomAcrossNodes();
  const sent = await a.request<{ message: ChatMessage }>('message', { roomId, content: 'over cluster slots' });
  if (!sent.ok) throw new Error(JSON.stringify(sent.error));
  const got = await b.waitForMessage((m) => m.id === sent.message.id, 'delivery on the other node');
  expect(got.seq).toBe(sent.message.seq);
  const history = await b.request<{ messages: ChatMessage[] }>('history', { roomId, limit: 10 });
  if (!history.ok) throw new Error(JSON.stringify(history.error));
  expect(history.messages.map((m) => m.id)).toContain(sent.message.id);
});

test('adapter requests span nodes: fetchSockets, room broadcasts and serverSideEmit', async () => {
  const { roomId, a, b } = await roomAcrossNodes();
  // fetchSockets from one node asks every node over the sharded channels and waits for their answers.
  const inRoom = await untyped(s1).in(roomId).fetchSockets();
  expect(inRoom.map((s) => s.id).sort()).toEqual([a.socket.id, b.socket.id].sort());

  // A room broadcast from node 1 reaches the member on node 2 through the adapter.
  const probe = `probe-${randomSuffix()}`;
  const received = withTimeout(new Promise((resolve) => b.socket.once('adapter_probe', resolve)), 5000, 'adapter broadcast on node 2');
  untyped(s1).to(roomId).emit('adapter_probe', probe);
  expect(await received).toBe(probe);

  // serverSideEmit: node 2 hears node 1.
  const heard = withTimeout(new Promise((resolve) => untyped(s2).on('cluster_probe', resolve)), 5000, 'serverSideEmit on node 2');
  untyped(s1).serverSideEmit('cluster_probe', probe);
  expect(await heard).toBe(probe);
});

test('interest routing on the cluster: a node with no members in a room receives none of its messages', async () => {
  const { roomId: shared, a, b } = await roomAcrossNodes();
  // A room whose only member is on node 1.
  const lone = await newSession(api.url);
  const c = await openOn(s1, lone.token, lone.roomId);
  await c.waitForMembers((u) => u.members.length === 1, 'lone member');
  const before = await busMessagesReceived(s2);

  const N = 20;
  for (let i = 0; i < N; i++) {
    const r = await c.request('message', { roomId: lone.roomId, content: `only node 1 #${i}` });
    if (!r.ok) throw new Error(JSON.stringify(r));
  }
  await waitUntil(() => c.messages.filter((m) => m.kind === 'user').length === N || undefined, { what: 'lone room deliveries' });
  // A marker in the shared room: once node 2 delivers it, its bus subscriber has had every chance to see the lone room's traffic.
  const marker = await a.request<{ message: ChatMessage }>('message', { roomId: shared, content: 'marker' });
  if (!marker.ok) throw new Error(JSON.stringify(marker.error));
  await b.waitForMessage((m) => m.id === marker.message.id, 'marker on node 2');

  expect((await busMessagesReceived(s2)) - before).toBe(1);
});
