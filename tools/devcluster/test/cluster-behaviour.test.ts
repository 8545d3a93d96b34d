import { io } from 'socket.io-client';
import type { ChatMessage } from '@chat/protocol';
import { connect, deleteKeysWithPrefix, newSession, request, waitUntil } from '@chat/testkit';
import type { TestClient } from '@chat/testkit';
import { clusterTarget, scrapeCounter } from './cluster-target';
import type { ClusterTarget } from './cluster-target';

// Cluster behaviour that one process cannot show: fan-out across nodes, order
// under concurrent senders on different nodes, interest routing, Redis
// reconnects, and nodes dying with and without saying goodbye.
jest.setTimeout(90_000);

let t: ClusterTarget;
const clients: TestClient[] = [];
const socketNodes = () => t.cluster.nodes.filter((n) => n.kind === 'socket');

beforeAll(async () => {
  t = await clusterTarget({ socket: 3, api: 2 });
}, 180_000);
afterEach(() => clients.splice(0).forEach((c) => c.close()));
afterAll(async () => {
  await t?.close();
}, 60_000);

async function openOn(nodeUrl: string, token: string, roomId?: string): Promise<TestClient> {
  const c = await connect(nodeUrl, { token, roomId });
  clients.push(c);
  return c;
}

/** Users a and b in a fresh room, a on the first socket node and b on the second, each seeing both online. */
async function pairOnFirstTwoNodes() {
  const [n1, n2] = socketNodes();
  const a = await newSession(t.url);
  const b = await newSession(t.url, { chatroomName: a.chatroomName });
  const ca = await openOn(n1!.url, a.token, a.roomId);
  const cb = await openOn(n2!.url, b.token, b.roomId);
  await cb.waitForMembers((u) => u.members.length === 2);
  return { a, b, ca, cb, n1: n1!, n2: n2! };
}

function assertContiguous(messages: ChatMessage[], label: string): void {
  const seqs = messages.map((m) => m.seq);
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i] !== seqs[i - 1]! + 1) throw new Error(`${label}: seq ${seqs[i - 1]} followed by ${seqs[i]}`);
  }
}

test('members on different nodes see each other: messages, members and history', async () => {
  const [n1, n2, n3] = socketNodes();
  const a = await newSession(t.url);
  const b = await newSession(t.url, { chatroomName: a.chatroomName });
  const c = await newSession(t.url, { chatroomName: a.chatroomName });
  const ca = await openOn(n1!.url, a.token, a.roomId);
  const cb = await openOn(n2!.url, b.token, b.roomId);
  const cc = await openOn(n3!.url, c.token, c.roomId);
  for (const client of [ca, cb, cc]) await client.waitForMembers((u) => u.members.length === 3, 'three members on every node');
  const sent = await cb.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'across nodes' });
  if (!sent.ok) throw new Error(JSON.stringify(sent.error));
  for (const client of [ca, cb, cc]) await client.waitForMessage((m) => m.id === sent.message.id, 'delivery on every node');
  const page = await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}/messages`, { token: c.token });
  expect(page.body.messages.map((m: ChatMessage) => m.id)).toContain(sent.message.id);
  expect((await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}`)).body.online).toBe(3);
});

test('concurrent senders on three nodes: every receiver on every node sees seq order without gaps', async () => {
  const nodes = socketNodes();
  const first = await newSession(t.url);
  const sessions = [first, ...(await Promise.all([1, 2].map(() => newSession(t.url, { chatroomName: first.chatroomName }))))];
  const senders = await Promise.all(sessions.map((s, i) => openOn(nodes[i]!.url, s.token, s.roomId)));
  const watchers = await Promise.all(
    nodes.map(async (n) => {
      const w = await newSession(t.url, { chatroomName: first.chatroomName });
      return openOn(n.url, w.token, w.roomId);
    }),
  );
  for (const w of watchers) await w.waitForMembers((u) => u.members.length === 6, 'all six online');
  const perSender = 40;
  const acks = await Promise.all(
    senders.map((s, i) =>
      Promise.all(
        Array.from({ length: perSender }, (_, k) => s.request<{ message: ChatMessage }>('message', { roomId: first.roomId, content: `s${i}-${k}` }, 20_000)),
      ),
    ),
  );
  const acked = acks.flat();
  expect(acked.every((r) => r.ok)).toBe(true);
  const total = senders.length * perSender;
  for (const [i, w] of [...watchers, ...senders].entries()) {
    await waitUntil(() => w.messages.filter((m) => m.kind === 'user').length >= total, { timeoutMs: 20_000, what: `receiver ${i} gets all` });
    const fromJoin = w.messages.filter((m) => m.roomId === first.roomId);
    assertContiguous(fromJoin, `receiver ${i}`);
    expect(new Set(fromJoin.map((m) => m.id)).size).toBe(fromJoin.length);
  }
});

test('interest routing: a node with no members in a room (any more) receives none of its messages', async () => {
  const n3 = socketNodes()[2]!;
  const { a, ca, cb, n1, n2 } = await pairOnFirstTwoNodes();
  // A user on the third node is in the room, then leaves it: the node has no members there any more.
  const e = await newSession(t.url, { chatroomName: a.chatroomName });
  const ce = await openOn(n3.url, e.token, e.roomId);
  await cb.waitForMessage((m) => m.event === 'join' && m.userId === e.userId, "e's join, from the third node");
  expect(await ce.request('leave', { roomId: a.roomId })).toEqual({ ok: true });
  // It is in another room, with a member on the first node: a marker sent there after the first
  // room's messages reaches the third node after anything of the first room would have (one
  // publisher connection, one subscriber connection, both in order).
  const d = await newSession(t.url);
  expect(await ce.request('join', { roomId: d.roomId })).toEqual({ ok: true });
  const cd = await openOn(n1.url, d.token, d.roomId);
  await ce.waitForMessage((m) => m.event === 'join' && m.userId === d.userId, "d's join, on the third node");
  const received = (n: { metricsUrl: string }) => scrapeCounter(n.metricsUrl, 'chat_bus_messages_received_total');
  const idleBefore = await received(n3);
  const busyBefore = await received(n2);
  for (let i = 0; i < 20; i++) expect((await ca.request('message', { roomId: a.roomId, content: `r${i}` })).ok).toBe(true);
  await cb.waitForMessage((m) => m.content === 'r19');
  const marker = await cd.request<{ message: ChatMessage }>('message', { roomId: d.roomId, content: 'marker' });
  if (!marker.ok) throw new Error(JSON.stringify(marker.error));
  await ce.waitForMessage((m) => m.id === marker.message.id, 'the marker, on the third node');
  expect(await received(n2)).toBeGreaterThanOrEqual(busyBefore + 20);
  // The marker, and nothing of the first room.
  expect(await received(n3)).toBe(idleBefore + 1);
  expect(ce.messages.filter((m) => m.roomId === a.roomId && m.kind === 'user')).toEqual([]);
});

test('after the Redis subscriber connection drops, subscriptions are restored', async () => {
  const { a, ca, cb, n2 } = await pairOnFirstTwoNodes();
  const name = `${t.prefix}:${n2.id}:bus-sub`;
  const idOf = async () => {
    const list = (await t.redis.client('LIST')) as string;
    return list
      .split('\n')
      .find((l) => l.includes(`name=${name} `))
      ?.match(/id=(\d+)/)?.[1];
  };
  const oldId = await waitUntil(idOf, { what: 'bus subscriber connection' });
  await t.redis.client('KILL', 'ID', oldId);
  await waitUntil(
    async () => {
      const id = await idOf();
      return id !== undefined && id !== oldId;
    },
    { timeoutMs: 10_000, what: 'subscriber reconnected' },
  );
  // The resubscription may land a moment after the reconnect: send until one arrives.
  let n = 0;
  await waitUntil(
    async () => {
      await ca.request('message', { roomId: a.roomId, content: `after-reconnect-${n++}` });
      return cb.messages.some((m) => m.content.startsWith('after-reconnect-'));
    },
    { timeoutMs: 10_000, what: 'delivery after reconnect' },
  );
});

test('Redis loses its data (a restart without persistence): connected users are online again and the room goes on', async () => {
  const { a, ca, cb } = await pairOnFirstTwoNodes();
  const before = await ca.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'before the loss' });
  if (!before.ok) throw new Error(JSON.stringify(before.error));
  const listsBefore = cb.members.length;
  await deleteKeysWithPrefix(t.redis, t.prefix);
  // A restarted Redis has no scripts either: every Lua command falls back from EVALSHA to EVAL once.
  await t.redis.script('FLUSH');
  // Each node finds itself unregistered at its next heartbeat, adds its connections back and signals the room.
  await waitUntil(async () => (await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}`)).body.online === 2, {
    timeoutMs: 10_000,
    what: 'both users online again',
  });
  await waitUntil(() => cb.members.slice(listsBefore).find((u) => u.members.length === 2), { timeoutMs: 10_000, what: 'a fresh members list' });
  // The seq counter is seeded again from the store, so the room carries on right after the last stored message.
  const after = await ca.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'after the loss' });
  if (!after.ok) throw new Error(JSON.stringify(after.error));
  expect(after.message.seq).toBe(before.message.seq + 1);
  await cb.waitForMessage((m) => m.id === after.message.id, 'delivery after the loss');
});

test('a socket node frozen past the presence TTL is reaped, and on waking puts its still-connected users back', async () => {
  const { a, ca, cb, n2 } = await pairOnFirstTwoNodes();
  const online = async () => (await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}`)).body.online as number;
  // A stall (a long GC, a frozen VM): the process keeps its sockets but does nothing.
  process.kill(n2.pid, 'SIGSTOP');
  try {
    await waitUntil(async () => (await online()) === 1, { timeoutMs: 25_000, what: 'the frozen node reaped by the others' });
  } finally {
    process.kill(n2.pid, 'SIGCONT');
  }
  const listsBefore = ca.members.length;
  await waitUntil(async () => (await online()) === 2, { timeoutMs: 10_000, what: 'its user online again' });
  await waitUntil(() => ca.members.slice(listsBefore).find((u) => u.members.length === 2), { timeoutMs: 10_000, what: 'a fresh members list' });
  // Its socket never went away: it still sends and receives.
  const sent = await cb.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'after the freeze' });
  if (!sent.ok) throw new Error(JSON.stringify(sent.error));
  await ca.waitForMessage((m) => m.id === sent.message.id, 'delivery from the woken node');
});

test('kill -9 of a socket node under traffic: clients reconnect, no ghosts within 15 s, every acked message stored', async () => {
  const victim = socketNodes()[0]!;
  const room = await newSession(t.url);
  const watcherSession = await newSession(t.url, { chatroomName: room.chatroomName });
  const survivorUrl = socketNodes()[1]!.url;
  const watcher = await openOn(survivorUrl, watcherSession.token, watcherSession.roomId);
  // A user only on the victim, who will not come back: must not stay a ghost.
  const ghost = await newSession(t.url, { chatroomName: room.chatroomName });
  await openOn(victim.url, ghost.token, ghost.roomId);
  await watcher.waitForMembers((u) => u.members.some((m) => m.userId === ghost.userId), 'ghost online');

  // Senders through the load balancer that reconnect by themselves.
  const senders = await Promise.all(Array.from({ length: 6 }, () => newSession(t.url, { chatroomName: room.chatroomName })));
  const acked = new Set<string>();
  const sockets = senders.map((s) =>
    io(t.url, { auth: { token: s.token, roomId: s.roomId }, transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500 }),
  );
  let sending = true;
  const loops = sockets.map(async (sock, i) => {
    for (let k = 0; sending && k < 400; k++) {
      if (sock.connected) {
        const r = await sock
          .timeout(3000)
          .emitWithAck('message', { roomId: room.roomId, content: `load-${i}-${k}`, clientMsgId: `c${i}-${k}` })
          .catch(() => undefined);
        if (r?.ok) acked.add(r.message.id);
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  });
  try {
    await waitUntil(() => acked.size >= 30, { timeoutMs: 15_000, what: 'traffic flowing' });
    const killedAt = Date.now();
    await t.cluster.kill(victim.id, 'SIGKILL');
    const leave = await watcher.waitForMessage((m) => m.event === 'leave' && m.userId === ghost.userId, 'ghost leave', 20_000);
    expect(Date.parse(leave.sentAt) - killedAt).toBeLessThan(15_000);
    await waitUntil(
      async () =>
        !(await request(t.url, 'GET', `/api/v1/rooms/${room.roomId}/members`)).body.members.some((m: { userId: string }) => m.userId === ghost.userId),
      { what: 'ghost gone' },
    );
    const before = acked.size;
    await waitUntil(() => sockets.every((s) => s.connected) && acked.size >= before + 30, { timeoutMs: 20_000, what: 'all senders back and sending' });
  } finally {
    sending = false;
    await Promise.all(loops);
    sockets.forEach((s) => s.disconnect());
  }
  const stored = new Set<string>();
  let before: number | undefined;
  for (;;) {
    const q = `/api/v1/rooms/${room.roomId}/messages?limit=200${before ? `&before=${before}` : ''}`;
    const page = await request(t.url, 'GET', q, { token: watcherSession.token });
    page.body.messages.forEach((m: ChatMessage) => stored.add(m.id));
    if (!page.body.hasMore) break;
    before = page.body.messages[0].seq;
  }
  const lost = [...acked].filter((id) => !stored.has(id));
  expect(lost).toEqual([]);
});

test('SIGTERM of a socket node: it exits within 10 s, sends were acked, and every acked message is stored once', async () => {
  const victim = socketNodes()[0]!;
  const a = await newSession(t.url);
  const client = await openOn(victim.url, a.token, a.roomId);
  const send = (i: number) =>
    client.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: `t${i}`, clientMsgId: `t${i}` }, 10_000).catch(() => undefined);
  const acks = Array.from({ length: 50 }, (_, i) => send(i));
  let ackedSoFar = 0;
  let answered = 0;
  acks.forEach(
    (p) =>
      void p.then((r) => {
        answered++;
        if (r?.ok) ackedSoFar++;
      }),
  );
  // The node takes sends: at least one is acked before the drain starts, the rest are in flight when it does.
  await waitUntil(() => ackedSoFar > 0 || answered === acks.length, { timeoutMs: 10_000, what: 'a first ack' });
  expect(ackedSoFar).toBeGreaterThanOrEqual(1);
  const started = Date.now();
  const exit = t.cluster.kill(victim.id, 'SIGTERM');
  const replies = await Promise.all(acks);
  expect(await exit).toBe(0);
  expect(Date.now() - started).toBeLessThan(10_000);
  const acked = replies.flatMap((r) => (r?.ok ? [r.message] : []));
  const page = await request(t.url, 'GET', `/api/v1/rooms/${a.roomId}/messages?limit=200`, { token: a.token });
  const stored = page.body.messages as ChatMessage[];
  // Exactly once: by content, so a send stored twice under two ids would show too.
  const copies = (m: ChatMessage) => stored.filter((s) => s.content === m.content).map((s) => s.id);
  expect(acked.map((m) => ({ content: m.content, stored: copies(m) }))).toEqual(acked.map((m) => ({ content: m.content, stored: [m.id] })));
});
