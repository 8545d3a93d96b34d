import { randomSuffix, waitUntil } from '@chat/testkit';
import { connect, createSession } from '../src';
import type { ChatClient, ConnectOptions, GuestSession } from '../src';
import { dropConnection, embeddedServer, expectViewEqualsHistory, record, waitForState } from './helpers';

// A server that replays nothing on a resuming join (RESUME_MAX=0: every resume
// is `resumed: false`, as an older server's plain `{ok: true}` would be): the
// client catches up from history, paging forward, and ends equal to history.
jest.setTimeout(60_000);

let server: { url: string; close(): Promise<void> };
const open: ChatClient[] = [];
beforeAll(async () => {
  server = await embeddedServer({ RESUME_MAX: '0' });
}, 60_000);
afterEach(() => open.splice(0).forEach((c) => c.close()));
afterAll(() => server?.close());

const guest = (chatroomName = `room-${randomSuffix()}`) => createSession(server.url, { nickName: `n-${randomSuffix()}`, chatroomName });
function client(session: GuestSession, opts: ConnectOptions = {}): ChatClient {
  const c = connect(session, { gapWaitMs: 300, ...opts });
  open.push(c);
  return c;
}

test('more missed while disconnected than a history page: caught up from history in order, each once', async () => {
  const [sa, sb, sc] = await (async () => {
    const first = await guest();
    return [first, await guest(first.chatroomName), await guest(first.chatroomName)];
  })();
  const [a, c] = [client(sa), client(sc)];
  // b comes back 2-6 s after its connection drops.
  const b = client(sb, { reconnectDelayMs: 4000, reconnectDelayMaxMs: 4000 });
  const seen = record(b, sa.roomId);
  await Promise.all([a.join(sa.roomId), b.join(sb.roomId), c.join(sc.roomId)]);
  await a.send(sa.roomId, 'before');
  await waitUntil(() => seen.some((m) => m.content === 'before'), { what: 'before' });
  const fillsBefore = b.stats().fills;
  dropConnection(b);
  // 250 messages from two senders (each within its rate limit) while b is away.
  for (let i = 0; i < 250; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, k) => (k % 2 ? a : c).send(sa.roomId, `away-${i + k}`)));
  }
  expect(b.state).toBe('reconnecting');
  await waitForState(b, 'online');
  const after = await a.send(sa.roomId, 'after');
  await waitUntil(() => seen.some((m) => m.id === after.id), { what: 'after', timeoutMs: 15_000 });
  await expectViewEqualsHistory(server.url, sb.token, sa.roomId, seen);
  // Two pages at least (200 a page), no replay. (Messages that arrive live while a page is read are in both: dropped once.)
  expect(b.stats().fills - fillsBefore).toBeGreaterThanOrEqual(2);
  expect(new Set(seen.filter((m) => m.content.startsWith('away-')).map((m) => m.content)).size).toBe(250);
});
