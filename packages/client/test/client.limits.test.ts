import { randomSuffix, waitUntil } from '@chat/testkit';
import { connect, createSession } from '../src';
import type { ChatClient, GuestSession } from '../src';
import { dropConnection, embeddedServer, fullHistory, waitForState } from './helpers';

// The server's rate limits are waited out, not reported as failures: a send
// refused with `rate_limited` is sent again after `retryAfterSec`, and a
// handshake refused with it is tried again then.
jest.setTimeout(60_000);

let server: { url: string; close(): Promise<void> };
const open: ChatClient[] = [];
beforeAll(async () => {
  server = await embeddedServer({ MESSAGE_RATE_LIMIT: '5/1', CONNECT_RATE_LIMIT: '2/3' });
}, 60_000);
afterEach(() => open.splice(0).forEach((c) => c.close()));
afterAll(() => server?.close());

function client(session: GuestSession): ChatClient {
  const c = connect(session, { reconnectDelayMs: 100 });
  open.push(c);
  return c;
}
const guest = () => createSession(server.url, { nickName: `n-${randomSuffix()}`, chatroomName: `room-${randomSuffix()}` });

test('sends over the message rate are retried after retryAfterSec: all stored, once each', async () => {
  const s = await guest();
  const chat = client(s);
  await chat.join(s.roomId);
  const retried: string[] = [];
  chat.onOutbox((pending) => pending.filter((m) => m.lastError === 'rate_limited').forEach((m) => retried.push(m.clientMsgId)));
  const stored = await Promise.all(Array.from({ length: 12 }, (_, i) => chat.send(s.roomId, `r${i}`)));
  expect(new Set(retried).size).toBeGreaterThan(0);
  const history = await fullHistory(server.url, s.token, s.roomId);
  for (const m of stored) expect(history.filter((h) => h.clientMsgId === m.clientMsgId)).toHaveLength(1);
  expect(history.filter((h) => h.kind === 'user')).toHaveLength(12);
});

test('a handshake refused with rate_limited is tried again after retryAfterSec', async () => {
  const s = await guest();
  const chat = client(s);
  await chat.join(s.roomId);
  // Two handshakes in 3 s are allowed: the first connection and one reconnect; the next waits.
  dropConnection(chat);
  await waitForState(chat, 'online');
  const errors: string[] = [];
  (chat as unknown as { socket: { on(e: string, f: (err: Error) => void): void } }).socket.on('connect_error', (err) => errors.push(err.message));
  dropConnection(chat);
  await waitUntil(() => errors.includes('rate_limited'), { what: 'a refused handshake' });
  await waitForState(chat, 'online', 10_000);
  expect((await chat.send(s.roomId, 'back')).content).toBe('back');
});
