import { wireContract } from '@chat/testkit';
import { clusterTarget, wireTargetOf } from './cluster-target';

// The same black-box suite as the embedded server, through the load balancer
// of 3 socket nodes and 2 API nodes on the real Redis and MariaDB.
jest.setTimeout(60_000);

wireContract('cluster: 3 socket + 2 API nodes behind HAProxy', async () => wireTargetOf(await clusterTarget({ socket: 3, api: 2 })));
