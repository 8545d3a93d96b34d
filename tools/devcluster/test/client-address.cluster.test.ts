import type { SessionView } from '@chat/protocol';
import { connectOutcome, randomSuffix, request } from '@chat/testkit';
import { clusterTarget } from './cluster-target';
import type { ClusterTarget } from './cluster-target';

// Behind the load balancer a node budgets a client by the address HAProxy saw,
// never by what the client wrote in X-Forwarded-For: HAProxy replaces the
// header and the node trusts exactly one hop (TRUST_PROXY_HOPS=1).
jest.setTimeout(90_000);

let t: ClusterTarget;
beforeAll(async () => {
  t = await clusterTarget({ socket: 1, api: 1, env: { SESSION_RATE_LIMIT: '3/60', CONNECT_ADDRESS_RATE_LIMIT: '3/60' } });
}, 180_000);
afterAll(async () => {
  await t?.close();
}, 60_000);

/** Addresses a client may claim: public-looking ones, private ones, and a chain. */
const spoofed = (i: number) => [`203.0.113.${i}`, `10.1.2.${i}`, `198.51.100.${i}, 192.0.2.${i}`][i % 3]!;

test('a spoofed X-Forwarded-For does not buy new session budgets', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await request(t.url, 'POST', '/api/v1/sessions', {
      json: { nickName: `xff-${randomSuffix()}`, chatroomName: 'xff' },
      headers: { 'x-forwarded-for': spoofed(i) },
    });
    statuses.push(r.status);
  }
  expect(statuses).toEqual([201, 201, 201, 429, 429]);
});

test('nor new handshake budgets at the socket node', async () => {
  // Sessions made straight at the API node, as if four other clients had come through the LB
  // (the node trusts its direct peer as the one proxy): the test's own address keeps its budget for the sockets.
  const apiNode = t.cluster.nodes.find((n) => n.kind === 'api')!;
  const users: SessionView[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await request<SessionView>(apiNode.url, 'POST', '/api/v1/sessions', {
      json: { nickName: `sock-${randomSuffix()}`, chatroomName: 'xff' },
      headers: { 'x-forwarded-for': `192.0.2.${100 + i}` },
    });
    if (r.status !== 201) throw new Error(`session ${i}: ${r.status}`);
    users.push(r.body);
  }
  const outcomes: string[] = [];
  for (const [i, u] of users.entries()) {
    outcomes.push(await connectOutcome(t.url, { token: u.token, transports: ['polling'], extraHeaders: { 'x-forwarded-for': spoofed(i) } }));
  }
  expect(outcomes).toEqual(['ok', 'ok', 'ok', 'rate_limited']);
});
