import { randomSuffix, waitUntil } from '@chat/testkit';
import { clusterTarget, scrapeCounter } from '../../../tools/devcluster/test/cluster-target';
import type { ClusterTarget } from '../../../tools/devcluster/test/cluster-target';
import type { ChatMessage } from '@chat/protocol';
import type { NodeHandle } from '@chat/devcluster';
import { connect, createSession } from '../src';
import type { ChatClient, ConnectionState, GuestSession } from '../src';
import { expectViewEqualsHistory, fullHistory, record } from './helpers';

// The SDK through the load balancer of a real cluster while the socket node it
// is on dies with SIGKILL: it comes back through the other nodes, resumes every
// room, and ends with a view equal to history and each of its sends stored once.
jest.setTimeout(180_000);

let t: ClusterTarget;
const open: ChatClient[] = [];
beforeAll(async () => {
  t = await clusterTarget({ socket: 3, api: 1 });
}, 240_000);
afterEach(() => open.splice(0).forEach((c) => c.close()));
afterAll(async () => {
  await t?.close();
}, 60_000);

const socketNodes = () => t.cluster.nodes.filter((n) => n.kind === 'socket');
const guest = (chatroomName = `room-${randomSuffix()}`) => createSession(t.url, { nickName: `n-${randomSuffix()}`, chatroomName });

function client(session: GuestSession, url?: string): ChatClient {
  const c = connect(session, { ...(url ? { url } : {}), reconnectDelayMs: 200, reconnectDelayMaxMs: 1000, transports: ['websocket'] });
  open.push(c);
  return c;
}

/** A client through the load balancer, joined, and the socket node it landed on (the one whose socket count rose). */
async function clientViaLb(session: GuestSession): Promise<{ chat: ChatClient; node: NodeHandle }> {
  const nodes = socketNodes();
  const before = await Promise.all(nodes.map((n) => scrapeCounter(n.metricsUrl, 'chat_connected_sockets')));
  const chat = client(session);
  await chat.join(session.roomId);
  const node = await waitUntil(
    async () => {
      const now = await Promise.all(nodes.map((n) => scrapeCounter(n.metricsUrl, 'chat_connected_sockets')));
      const rose = nodes.filter((_, i) => now[i]! === before[i]! + 1);
      return rose.length === 1 ? rose[0] : undefined;
    },
    { what: 'the node the client is on' },
  );
  return { chat, node };
}

function expectStoredOnce(history: ChatMessage[], sent: ChatMessage[]): void {
  for (const m of sent) expect(history.filter((h) => h.clientMsgId === m.clientMsgId && h.userId === m.userId)).toHaveLength(1);
}

test('kill -9 of the node under a reader while others send: reconnecting, online, and its view equals history', async () => {
  const reader = await guest();
  const { chat, node: victim } = await clientViaLb(reader);
  const states: ConnectionState[] = [];
  chat.onState((s) => states.push(s));
  const seen = record(chat, reader.roomId);
  const survivor = socketNodes().find((n) => n.id !== victim.id)!;
  const senders = await Promise.all([1, 2].map(() => guest(reader.chatroomName)));
  const senderClients = senders.map((s) => client(s, survivor.url));
  await Promise.all(senderClients.map((c, i) => c.join(senders[i]!.roomId)));

  const sent: ChatMessage[] = [];
  const sending = Promise.all(
    senderClients.map(async (c, i) => {
      for (let k = 0; k < 50; k++) {
        sent.push(await c.send(reader.roomId, `s${i}-${k}`));
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  );
  await waitUntil(() => seen.filter((m) => m.kind === 'user').length >= 20, { what: 'the reader has some', timeoutMs: 20_000 });
  await t.cluster.kill(victim.id, 'SIGKILL');
  await waitUntil(() => states.includes('reconnecting'), { what: 'reconnecting' });
  await sending;
  await waitUntil(() => chat.state === 'online', { what: 'online again', timeoutMs: 30_000 });
  const last = await senderClients[0]!.send(reader.roomId, 'last');
  await waitUntil(() => seen.some((m) => m.id === last.id), { what: 'the last message', timeoutMs: 20_000 });

  const stored = await expectViewEqualsHistory(t.url, reader.token, reader.roomId, seen);
  expect(stored.filter((m) => m.kind === 'user')).toHaveLength(101);
  expectStoredOnce(stored, [...sent, last]);
  expect(states.slice(states.indexOf('reconnecting'))).toContain('online');
});

test('kill -9 of the node under a sender while it sends: every send resolves, each stored once, and both views equal history', async () => {
  const writer = await guest();
  const { chat, node: victim } = await clientViaLb(writer);
  const seenByWriter = record(chat, writer.roomId);
  const watcherSession = await guest(writer.chatroomName);
  const watcher = client(watcherSession, socketNodes().find((n) => n.id !== victim.id)!.url);
  const seenByWatcher = record(watcher, writer.roomId);
  await watcher.join(watcherSession.roomId);

  // 80 sends, 15 ms apart, not waiting for their acks: the outbox holds and resends what the dead node did not answer.
  const sends: Array<Promise<ChatMessage>> = [];
  const issuing = (async () => {
    for (let k = 0; k < 80; k++) {
      sends.push(chat.send(writer.roomId, `w${k}`));
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  await waitUntil(() => seenByWatcher.filter((m) => m.kind === 'user').length >= 25, { what: 'some sends delivered', timeoutMs: 20_000 });
  await t.cluster.kill(victim.id, 'SIGKILL');
  await issuing;
  const stored = await Promise.all(sends);
  expect(stored.map((m) => m.content)).toEqual(Array.from({ length: 80 }, (_, k) => `w${k}`));
  expect(chat.pending()).toEqual([]);

  const history = await fullHistory(t.url, writer.token, writer.roomId);
  expectStoredOnce(history, stored);
  expect(history.filter((m) => m.kind === 'user')).toHaveLength(80);
  await expectViewEqualsHistory(t.url, writer.token, writer.roomId, seenByWriter);
  await expectViewEqualsHistory(t.url, watcherSession.token, writer.roomId, seenByWatcher);
});

test('a node drained with SIGTERM disconnects its clients (io server disconnect): the client connects again by itself', async () => {
  await t.cluster.start('socket');
  expect(socketNodes().length).toBeGreaterThanOrEqual(2);
  const s = await guest();
  const { chat, node } = await clientViaLb(s);
  const states: ConnectionState[] = [];
  chat.onState((state) => states.push(state));
  const seen = record(chat, s.roomId);
  await t.cluster.kill(node.id, 'SIGTERM');
  await waitUntil(() => states.includes('reconnecting') && chat.state === 'online', { what: 'online again on another node', timeoutMs: 30_000 });
  const after = await chat.send(s.roomId, 'after the drain');
  await waitUntil(() => seen.some((m) => m.id === after.id), { what: 'its own message' });
  await expectViewEqualsHistory(t.url, s.token, s.roomId, seen);
});
