import Redis from 'ioredis';
import knex from 'knex';
import { knexConfig, migrateLatest } from '@chat/store';
import { REDIS_URL, WIRE_APP_JWT_SECRET, WIRE_ENV, WIRE_SERVER_API_KEY, deleteKeysWithPrefix, randomSuffix, tempMysqlDatabase } from '@chat/testkit';
import type { WireTarget } from '@chat/testkit';
import { startCluster } from '../src';
import type { Cluster } from '../src';

export const TEST_SECRET = 'cluster-test-secret-'.padEnd(48, 'y');
export const MESSAGE_POINTS = 200;

export interface ClusterTarget {
  cluster: Cluster;
  url: string;
  prefix: string;
  redis: Redis;
  close(): Promise<void>;
}

/**
 * A real cluster for one test file: socket and API nodes as separate processes
 * behind HAProxy, on the local MariaDB (a database of its own) and Redis (a
 * key prefix of its own).
 */
export async function clusterTarget(opts: { socket: number; api: number; env?: Record<string, string> }): Promise<ClusterTarget> {
  const db = await tempMysqlDatabase('chat_cluster');
  // Migrate once up front, as a deploy job would, instead of five nodes racing for the lock.
  const migrator = knex(knexConfig({ mysqlUrl: db.url }));
  await migrateLatest(migrator).finally(() => migrator.destroy());
  const prefix = `t${randomSuffix()}`;
  const redis = new Redis(REDIS_URL);
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      socketNodes: opts.socket,
      apiNodes: opts.api,
      port: 0,
      // Generous: a loaded 2-core machine starting five nodes at once.
      readyTimeoutMs: 150_000,
      // Another build's dist/ (`node scripts/build.mjs --outdir <dir>/dist`), e.g. to watch a test fail on changed code.
      ...(process.env.DEVCLUSTER_TEST_CWD ? { cwd: process.env.DEVCLUSTER_TEST_CWD } : {}),
      env: {
        MYSQL_URL: db.url,
        REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        TOKEN_SECRET: TEST_SECRET,
        // App identity and the server API on; per-address budgets out of the way (every client is 127.0.0.1).
        ...WIRE_ENV,
        MESSAGE_RATE_LIMIT: `${MESSAGE_POINTS}/10`,
        MEMBERS_INTERVAL_MS: '100',
        LOG_LEVEL: 'warn',
        ...opts.env,
      },
    });
  } catch (err) {
    await db.drop();
    redis.disconnect();
    throw err;
  }
  return {
    cluster,
    url: cluster.url,
    prefix,
    redis,
    async close() {
      await cluster.stop();
      await db.drop();
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/** One counter of a node's /metrics (summed over label sets), read from its internal metrics listener (`NodeHandle.metricsUrl`). */
export async function scrapeCounter(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + '{') || line.startsWith(name + ' ')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The cluster as the wire suite sees it: the load balancer's URL, and one node's internal metrics listener (the LB refuses /metrics). */
export function wireTargetOf(target: ClusterTarget, close: () => Promise<void> = () => target.close()): WireTarget {
  return {
    url: target.url,
    metricsUrl: target.cluster.nodes[0]!.metricsUrl,
    tokenSecret: TEST_SECRET,
    appJwtSecret: WIRE_APP_JWT_SECRET,
    serverApiKey: WIRE_SERVER_API_KEY,
    messagePointsPerWindow: MESSAGE_POINTS,
    close,
  };
}
