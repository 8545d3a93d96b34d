import { connect, connectError, newSession, waitUntil } from '@chat/testkit';
import type { TestClient } from '@chat/testkit';
import { startLocalInProcessNodes } from './in-process-nodes';
import type { InProcessNodes, SocketNode } from './in-process-nodes';

// The handshake budget is one per user for the whole cluster (kept in Redis);
// the open-connection cap is each node's own.
jest.setTimeout(60_000);

let nodes: InProcessNodes;

beforeAll(async () => {
  nodes = await startLocalInProcessNodes('connlimits', { CONNECT_RATE_LIMIT: '3/60', CONNECTIONS_PER_USER_MAX: '1' });
}, 60_000);

afterAll(() => nodes?.close(), 60_000);

/** Connects once a slot on the node is free (a refusal by the cap costs no budget). */
function connectWhenFree(node: SocketNode, token: string): Promise<TestClient> {
  return waitUntil(() => connect(node.url, { token }).catch(() => undefined), { what: 'a free slot' });
}

test('the open-connection cap is per node, the handshake budget is per user across nodes', async () => {
  const s = await newSession(nodes.api.url);
  const onS1 = await connect(nodes.s1.url, { token: s.token }); // budget 1 of 3
  expect(await connectError(nodes.s1.url, { token: s.token })).toBe('limit_exceeded');
  const onS2 = await connect(nodes.s2.url, { token: s.token }); // 2 of 3: the cap is per node
  onS1.close();
  onS2.close();
  (await connectWhenFree(nodes.s1, s.token)).close(); // 3 of 3

  const refusal = await waitUntil(() => connectError(nodes.s2.url, { token: s.token }).then((code) => (code === 'limit_exceeded' ? undefined : code)), {
    what: 'a refusal other than the cap',
  });
  expect(refusal).toBe('rate_limited');
  // Another user's budget is untouched.
  const other = await newSession(nodes.api.url);
  (await connect(nodes.s2.url, { token: other.token })).close();
});
