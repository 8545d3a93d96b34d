import { io } from 'socket.io-client';
import { SOCKET_PATH } from '@chat/protocol';
import { connect, newSession, request, waitUntil } from '@chat/testkit';
import { startLocalInProcessNodes } from './in-process-nodes';
import type { InProcessNodes } from './in-process-nodes';

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
 */
function connectAndDrop(url: string, token: string, roomId: string, how: 'handshake' | 'join', lagMs: number): Promise<void> {
  const auth = how === 'handshake' ? { token, roomId } : { token };
  const socket = io(url, { path: SOCKET_PATH, transports: ['websocket'], auth, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      if (how === 'join') socket.emit('join', { roomId });
      // A join request and a disconnect read in one go never start the join: the lag lets some land mid-join.
      setTimeout(() => {
        socket.disconnect();
        resolve();
      }, lagMs);
    });
    socket.once('connect_error', reject);
  });
}

test.each(['handshake', 'join'] as const)('sockets that disconnect while joining (room from the %s) leave no ghost in presence', async (how) => {
  const apiUrl = nodes.api.url;
  const sessions = await Promise.all(Array.from({ length: 40 }, () => newSession(apiUrl)));
  // Each in a room new to the node, so each join waits on the store and a bus subscription.
  await Promise.all(sessions.map((s, i) => connectAndDrop(nodes.s1.url, s.token, s.roomId, how, how === 'join' ? i % 4 : 0)));
  const online = async () =>
    Promise.all(sessions.map(async (s) => (await request(apiUrl, 'GET', `/api/v1/rooms/${s.roomId}`)).body.online as number));
  await waitUntil(async () => (await online()).every((n) => n === 0), { timeoutMs: 5000, what: 'every room empty' }).catch(async () => {
    throw new Error(`rooms still showing members online: ${(await online()).filter((n) => n > 0).length} of ${sessions.length}`);
  });
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
