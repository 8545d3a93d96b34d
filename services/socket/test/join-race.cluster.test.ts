import { io } from 'socket.io-client';
import { SOCKET_PATH } from '@chat/protocol';
import { connect, newSession, request, waitUntil } from '@chat/testkit';
import { startLocalInProcessNodes } from './in-process-nodes';
import type { InProcessNodes } from './in-process-nodes';
import { scrapeCounter } from './metrics';

// A socket that goes away while its join is still waiting on Redis (the first
// socket of a room on a node subscribes the room's bus channel first) must not
// be entered into presence afterwards: nothing would ever take it out again.
jest.setTimeout(60_000);

let nodes: InProcessNodes;

beforeAll(async () => {
  nodes = await startLocalInProcessNodes('joinrace');
}, 60_000);

afterAll(() => nodes?.close(), 60_000);

/**
 * Connects and, the moment the server accepts the connection, either is in the
 * room from the handshake or asks to join it, and disconnects `lagMs` later.
 * Resolves once the socket is gone, with whether its join request was answered first.
 */
function connectAndDrop(url: string, token: string, roomId: string, how: 'handshake' | 'join', lagMs: number): Promise<'answered' | 'gone'> {
  const auth = how === 'handshake' ? { token, roomId } : { token };
  const socket = io(url, { path: SOCKET_PATH, transports: ['websocket'], auth, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    let answered = false;
    socket.once('connect', () => {
      if (how === 'join') socket.emit('join', { roomId }, () => (answered = true));
      // A join request and a disconnect read in one go never start the join: the lag lets some land mid-join.
      setTimeout(() => {
        socket.disconnect();
        resolve(answered ? 'answered' : 'gone');
      }, lagMs);
    });
    socket.once('connect_error', reject);
  });
}

/** What socket-1 holds, from its metrics: connected sockets and rooms it has members in. */
async function heldBySocket1(): Promise<{ sockets: number; rooms: number }> {
  const url = nodes.s1.metricsUrl;
  return { sockets: await scrapeCounter(url, 'chat_connected_sockets'), rooms: await scrapeCounter(url, 'chat_local_rooms') };
}

/**
 * A marker through socket-1: a fresh user joins a fresh room there and leaves it, each answered. Its
 * join subscribes the room behind every subscription socket-1 asked Redis for before (one subscriber
 * connection, in order) and then enters presence; its leave unsubscribes behind every earlier
 * unsubscription and then leaves presence. Once both are answered, whatever presence commands the
 * earlier joins and leaves were to send after theirs have been sent and answered too.
 */
async function markerThroughSocket1(): Promise<void> {
  const s = await newSession(nodes.api.url);
  const c = await connect(nodes.s1.url, { token: s.token });
  try {
    expect(await c.request('join', { roomId: s.roomId })).toEqual({ ok: true });
    await c.waitForMessage((m) => m.event === 'join' && m.userId === s.userId, "the marker's own join");
    expect(await c.request('leave', { roomId: s.roomId })).toEqual({ ok: true });
  } finally {
    c.close();
  }
}

test.each(['handshake', 'join'] as const)('sockets that disconnect while joining (room from the %s) leave no ghost in presence', async (how) => {
  const apiUrl = nodes.api.url;
  const before = await heldBySocket1();
  const sessions = await Promise.all(Array.from({ length: 40 }, () => newSession(apiUrl)));
  // Each in a room new to the node, so each join waits on the store and a bus subscription.
  const outcomes = await Promise.all(sessions.map((s, i) => connectAndDrop(nodes.s1.url, s.token, s.roomId, how, how === 'join' ? i % 4 : 0)));
  expect(outcomes).toHaveLength(sessions.length); // every join answered, or its socket gone
  // Every join settled on the node: it has seen every socket go (no join starts after that, and one
  // already under way is in its socket's rooms, which the disconnect leaves), and every room a join
  // took has been given back.
  await waitUntil(
    async () => {
      const now = await heldBySocket1();
      return now.sockets === before.sockets && now.rooms === before.rooms;
    },
    { timeoutMs: 10_000, what: 'socket-1 to hold no socket and no room of the test' },
  );
  const online = async () => Promise.all(sessions.map(async (s) => (await request(apiUrl, 'GET', `/api/v1/rooms/${s.roomId}`)).body.online as number));
  const ghosts = async () => (await online()).filter((n) => n > 0).length;
  // Read only once the node has answered later requests that queue behind the ones in flight, and
  // again after another: the count is 0, and stays 0.
  await markerThroughSocket1();
  expect(await ghosts()).toBe(0);
  await markerThroughSocket1();
  expect(await ghosts()).toBe(0);
});

test('a leave and a join of the same room sent back to back leave the socket in the room and online', async () => {
  const apiUrl = nodes.api.url;
  const s = await newSession(apiUrl);
  const c = await connect(nodes.s1.url, { token: s.token, roomId: s.roomId });
  try {
    await c.waitForMessage((m) => m.event === 'join' && m.userId === s.userId, 'the first join');
    for (let i = 0; i < 5; i++) {
      const [left, joined] = await Promise.all([c.request('leave', { roomId: s.roomId }), c.request('join', { roomId: s.roomId })]);
      expect(left).toMatchObject({ ok: true });
      expect(joined).toMatchObject({ ok: true });
      expect((await request(apiUrl, 'GET', `/api/v1/rooms/${s.roomId}`)).body.online).toBe(1);
    }
    // Still receiving the room: the bus subscription survived the leave and join.
    const sent = await c.request<{ message: { id: string } }>('message', { roomId: s.roomId, content: 'still here' });
    if (!sent.ok) throw new Error(JSON.stringify(sent.error));
    await c.waitForMessage((m) => m.id === sent.message.id, 'own message after the rejoin');
  } finally {
    c.close();
  }
});
