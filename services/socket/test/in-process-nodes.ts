import { startApiNode } from '@chat/api';
import type { RunningNode } from '@chat/runtime';
import type { SessionView } from '@chat/protocol';
import { REDIS_URL, connect, dropRedisKeys, newSession, randomSuffix, tempMysqlDatabase } from '@chat/testkit';
import type { TestClient } from '@chat/testkit';
import { startSocketNode } from '../src';

export type SocketNode = Awaited<ReturnType<typeof startSocketNode>>;

/** An API node and two socket nodes in this process on one env, plus clients that `close` ends too (and the nodes' Redis keys). */
export interface InProcessNodes {
  api: RunningNode;
  s1: SocketNode;
  s2: SocketNode;
  /** Connects to a socket node and joins the room; the client is closed by `closeClients`. */
  openOn(node: SocketNode, token: string, roomId: string): Promise<TestClient>;
  /**
   * Two users in one new room, `a` on socket-1 and `b` on socket-2, once `a`'s join announcement
   * has reached `b` through the bus. Their clients are closed with the others.
   */
  pairAcrossNodes(): Promise<{ sa: SessionView; sb: SessionView; a: TestClient; b: TestClient }>;
  closeClients(): void;
  close(): Promise<void>;
}

export async function startInProcessNodes(settings: Record<string, string>): Promise<InProcessNodes> {
  const clients: TestClient[] = [];
  // Three nodes in one process: each takes a free port for its internal /metrics listener.
  const env: Record<string, string> = { METRICS_PORT: '0', ...settings };
  const api = await startApiNode({ ...env, NODE_ID: 'api-1' });
  const s1 = await startSocketNode({ ...env, NODE_ID: 'socket-1' });
  const s2 = await startSocketNode({ ...env, NODE_ID: 'socket-2' });
  const openOn = async (node: SocketNode, token: string, roomId: string): Promise<TestClient> => {
    const c = await connect(node.url, { token, roomId });
    clients.push(c);
    return c;
  };
  return {
    api,
    s1,
    s2,
    openOn,
    async pairAcrossNodes() {
      const sb = await newSession(api.url);
      const sa = await newSession(api.url, { chatroomName: sb.chatroomName });
      const b = await openOn(s2, sb.token, sb.roomId);
      const a = await openOn(s1, sa.token, sa.roomId);
      await b.waitForMessage((m) => m.event === 'join' && m.userId === sa.userId, "a's join, across the nodes");
      return { sa, sb, a, b };
    },
    closeClients: () => clients.splice(0).forEach((c) => c.close()),
    async close() {
      clients.splice(0).forEach((c) => c.close());
      await Promise.all([s1.close(), s2.close(), api.close()]);
      // What the nodes left in a standalone Redis (a Redis Cluster of a test goes away whole).
      if (env.REDIS_URL && env.REDIS_KEY_PREFIX) await dropRedisKeys(withCredentials(env.REDIS_URL, env), env.REDIS_KEY_PREFIX).catch(() => undefined);
    },
  };
}

/** REDIS_URL with the nodes' REDIS_USERNAME and REDIS_PASSWORD in it, to clean up as they would connect. */
function withCredentials(url: string, env: Record<string, string>): string {
  if (!env.REDIS_PASSWORD) return url;
  const u = new URL(url);
  u.username = env.REDIS_USERNAME ?? '';
  u.password = env.REDIS_PASSWORD;
  return u.toString();
}

/**
 * In-process nodes on the local MariaDB (a database of their own, named after `label`) and Redis
 * (a key prefix of their own); `close` also drops the database. `env` adds or overrides settings.
 */
export async function startLocalInProcessNodes(label: string, env: Record<string, string> = {}): Promise<InProcessNodes & { keyPrefix: string }> {
  const db = await tempMysqlDatabase(`chat_${label}`);
  const keyPrefix = `t${randomSuffix()}`;
  try {
    const nodes = await startInProcessNodes({
      HOST: '127.0.0.1',
      PORT: '0',
      MYSQL_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
      TOKEN_SECRET: `${label}-test-secret-`.padEnd(48, 'x'),
      // Every client is 127.0.0.1: the per-address budgets have suites of their own.
      SESSION_RATE_LIMIT: '100000/60',
      CONNECT_ADDRESS_RATE_LIMIT: '100000/60',
      LOG_LEVEL: 'warn',
      ...env,
    });
    return {
      ...nodes,
      keyPrefix,
      async close() {
        await nodes.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
