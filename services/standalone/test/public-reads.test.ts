import mysql from 'mysql2/promise';
import { MYSQL_ROOT_URL, request } from '@chat/testkit';
import { embeddedTarget } from './targets';

/**
 * Reads anyone may make in a loop must not turn into database traffic: the
 * readiness probe and the room count are answered from a per-node memo that
 * asks the store at most once a second. Counted on MariaDB's own statement
 * counter (nothing else talks to the node's database meanwhile).
 */
describe('public reads that cost no query each', () => {
  let t: Awaited<ReturnType<typeof embeddedTarget>>;
  let admin: mysql.Connection;
  beforeAll(async () => {
    t = await embeddedTarget({ mysql: true });
    admin = await mysql.createConnection(MYSQL_ROOT_URL);
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await t?.close();
  });

  const selects = async (): Promise<number> => {
    const [rows] = await admin.query("SHOW GLOBAL STATUS LIKE 'Com_select'");
    return Number((rows as Array<{ Value: string }>)[0]!.Value);
  };

  test.each([
    ['/readyz', 200],
    ['/api/v1/rooms/count', 200],
  ])('100 requests of %s cost a handful of queries, not 100', async (path, status) => {
    const before = await selects();
    const started = Date.now();
    for (let i = 0; i < 100; i++) expect((await request(t.url, 'GET', path)).status).toBe(status);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const queries = (await selects()) - before;
    // One per second of the run at most (the first included), plus this test's own two status reads' neighbours.
    expect(queries).toBeLessThanOrEqual(seconds + 2);
  });
});
