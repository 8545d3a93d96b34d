import type { ChatMessage } from '@chat/protocol';
import { connect, newSession, request, waitUntil } from '@chat/testkit';
import type { TestClient } from '@chat/testkit';
import { clusterTarget } from './cluster-target';
import type { ClusterTarget } from './cluster-target';

// A client whose socket node dies (kill -9) while others keep sending comes
// back through the load balancer with the last seq it had, and ends with every
// message of the room exactly once, in seq order.
jest.setTimeout(120_000);

let t: ClusterTarget;
const clients: TestClient[] = [];
beforeAll(async () => {
  t = await clusterTarget({ socket: 2, api: 1 });
}, 180_000);
afterEach(() => clients.splice(0).forEach((c) => c.close()));
afterAll(async () => {
  await t?.close();
}, 60_000);

test('kill -9 under the reader, others sending: it resumes through the load balancer with every message once, in order', async () => {
  const [victim, survivor] = t.cluster.nodes.filter((n) => n.kind === 'socket');
  const reader = await newSession(t.url);
  const writer = await newSession(t.url, { chatroomName: reader.chatroomName });
  const before = await connect(victim!.url, { token: reader.token, roomId: reader.roomId });
  clients.push(before);
  const w = await connect(survivor!.url, { token: writer.token, roomId: writer.roomId });
  clients.push(w);
  await before.waitForMessage((m) => m.event === 'join' && m.userId === writer.userId, "the writer's join");

  // The writer sends 60 messages, 5 ms apart, whatever happens to the reader.
  const acked: ChatMessage[] = [];
  const sending = (async () => {
    for (let i = 0; i < 60; i++) {
      const r = await w.request<{ message: ChatMessage }>('message', { roomId: writer.roomId, content: `w${i}` });
      if (r.ok) acked.push(r.message);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  await waitUntil(() => before.messages.filter((m) => m.kind === 'user').length >= 10, { what: 'the reader has some' });
  await t.cluster.kill(victim!.id, 'SIGKILL');
  const lastSeq = before.messages[before.messages.length - 1]!.seq;

  // Back through the load balancer (the dead node leaves rotation within a couple of seconds).
  const after = await waitUntil(() => connect(t.url, { auth: { token: reader.token, roomId: reader.roomId, afterSeq: lastSeq } }).catch(() => undefined), {
    what: 'a reconnect through the load balancer',
    timeoutMs: 20_000,
  });
  clients.push(after);
  await sending;
  await waitUntil(() => after.resumed.length === 1, { what: 'the resume' });
  expect(after.resumed[0]!.resumed).toBe(true);
  const marker = await w.request<{ message: ChatMessage }>('message', { roomId: writer.roomId, content: 'marker' });
  if (!marker.ok) throw new Error('marker failed');
  await after.waitForMessage((m) => m.id === marker.message.id, 'the marker after the resume', 10_000);

  const view = [...before.messages, ...after.messages];
  const seqs = view.map((m) => m.seq);
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  for (const m of [...acked, marker.message]) expect(view.filter((x) => x.id === m.id)).toHaveLength(1);
  // Equal to history over the same span.
  const history = await request(t.url, 'GET', `/api/v1/rooms/${reader.roomId}/messages?after=${seqs[0]! - 1}&limit=200`, { token: reader.token });
  const stored = (history.body.messages as ChatMessage[]).filter((m) => m.seq <= marker.message.seq).map((m) => m.id);
  expect(view.map((m) => m.id)).toEqual(stored);
});
