import { startRedisCluster as startShared } from '@chat/devcluster';

/** A throw-away 3-master Redis Cluster on loopback (the shared helper of @chat/devcluster). */
export interface TestCluster {
  /** host:port of every master, for an ioredis Cluster's startup nodes. */
  nodes: { host: string; port: number }[];
  /** Kills the servers the helper started (idempotent). */
  stop(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<TestCluster> {
  const cluster = await startShared({ masters });
  return {
    nodes: cluster.nodes.map((hostPort) => {
      const i = hostPort.lastIndexOf(':');
      return { host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) };
    }),
    stop: () => cluster.stop(),
  };
}
