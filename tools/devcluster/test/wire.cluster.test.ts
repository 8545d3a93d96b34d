import { WIRE_APP_JWT_SECRET, WIRE_SERVER_API_KEY, wireContract } from '@chat/testkit';
import { MESSAGE_POINTS, TEST_SECRET, clusterTarget } from './cluster-target';

// The same black-box suite as the embedded server, through the load balancer
// of 3 socket nodes and 2 API nodes on the real Redis and MariaDB.
jest.setTimeout(60_000);

wireContract('cluster: 3 socket + 2 API nodes behind HAProxy', async () => {
  const target = await clusterTarget({ socket: 3, api: 2 });
  return {
    url: target.url,
    // The load balancer refuses /metrics; a node serves it on its internal listener.
    metricsUrl: target.cluster.nodes[0]!.metricsUrl,
    tokenSecret: TEST_SECRET,
    appJwtSecret: WIRE_APP_JWT_SECRET,
    serverApiKey: WIRE_SERVER_API_KEY,
    messagePointsPerWindow: MESSAGE_POINTS,
    close: () => target.close(),
  };
});
