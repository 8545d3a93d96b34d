import { createClientPool } from '../client';
import type { WireContext, WireTarget } from './context';
import { restSuite } from './rest';
import { seedSuite } from './seed';
import { socketSuite } from './socket';
import { identitySuite } from './identity';
import { roomsSuite } from './rooms';
import { serverApiSuite } from './server-api';
import { resumeSuite } from './resume';

export type { WireTarget, WireContext } from './context';
export { WIRE_ENV, WIRE_APP_JWT_SECRET, WIRE_SERVER_API_KEY, UNKNOWN_ROOM, UNKNOWN_USER, appToken, appSession } from './context';

/**
 * The black-box contract of docs/protocol.md, written once and run against
 * every deployment: embedded on SQLite, embedded on MySQL, the cluster behind
 * the load balancer, and the cluster on a Redis Cluster.
 */
export function wireContract(name: string, start: () => Promise<WireTarget>): void {
  describe(`wire contract: ${name}`, () => {
    let t: WireTarget | undefined;
    const pool = createClientPool();
    const ctx: WireContext = {
      target: () => {
        if (!t) throw new Error('the target did not start');
        return t;
      },
      open: (url, opts) => pool.open(url, opts),
      pool,
    };

    beforeAll(async () => {
      t = await start();
    }, 180_000);
    afterEach(() => pool.closeAll());
    afterAll(async () => {
      await t?.close();
    }, 60_000);

    restSuite(ctx);
    seedSuite(ctx);
    socketSuite(ctx);
    identitySuite(ctx);
    roomsSuite(ctx);
    serverApiSuite(ctx);
    resumeSuite(ctx);
  });
}
