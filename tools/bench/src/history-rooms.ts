import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { freePort } from '@chat/devcluster';
import { createHistogram, summarize } from '@chat/loadtest';
import type { LatencySummary } from '@chat/loadtest';
import { createKnexStore, knexConfig } from '@chat/store';
import type { StoredMessage } from '@chat/store';
import { newSession, request, waitUntil } from '@chat/testkit';
import { startDeployment } from './deployment';
import { fmt, int, machine, table, writeSection } from './markdown';

const ROOMS = 1_000;
const PER_ROOM = 1_000;
const PAGE = 50;
const REQUESTS = 3_000;
const ROOT = path.resolve(__dirname, '../../..');

/**
 * `pnpm bench history-rooms`: the history target. 1,000,000 messages
 * over 1,000 rooms; the newest 50-message page of a random room, one request
 * at a time, through HAProxy and an API node, straight to the API node, and
 * from the reference server (token check and one SELECT, same table, straight
 * to its node) in the same run.
 */
export async function historyRoomsBenchmark(): Promise<string> {
  const d = await startDeployment({ socket: 1, api: 1 });
  const db = knex(knexConfig({ mysqlUrl: d.dbUrl }));
  const reference = await startReference(d.dbUrl);
  try {
    const store = createKnexStore(db);
    // One user who entered every room (its sessions prove the nickname with its key).
    const first = await newSession(d.cluster.url, { chatroomName: 'hr-0' });
    const rooms = [first.roomId];
    for (let i = 1; i < ROOMS; i++)
      rooms.push((await newSession(d.cluster.url, { nickName: first.nickName, userKey: first.userKey!, chatroomName: `hr-${i}` })).roomId);
    const t0 = Date.now();
    for (const [r, roomId] of rooms.entries()) {
      const batch: StoredMessage[] = [];
      for (let seq = 2; seq <= PER_ROOM + 1; seq++) {
        batch.push({
          id: randomUUID(),
          roomId,
          seq,
          userId: first.userId,
          nickName: first.nickName,
          content: `row ${seq} `.padEnd(120, '.'),
          kind: 'user',
          sentAt: t0 + seq,
        });
      }
      await store.appendMessages(batch);
      if (r % 100 === 99) process.stderr.write(`  filled ${(r + 1) * PER_ROOM}\n`);
    }
    await db.raw('ANALYZE TABLE messages');
    const apiNode = d.cluster.nodes.find((n) => n.kind === 'api')!;
    const refToken = (await request(reference.url, 'POST', '/api/v1/sessions', { json: { nickName: 'bench', chatroomName: 'bench' } })).body.token as string;
    const page = (base: string, token: string) => () => {
      const roomId = rooms[Math.floor(Math.random() * rooms.length)]!;
      return fetch(`${base}/api/v1/rooms/${roomId}/messages?limit=${PAGE}`, { headers: { authorization: `Bearer ${token}` } }).then(async (res) => {
        if (res.status !== 200) throw new Error(`history answered ${res.status}`);
        await res.arrayBuffer();
      });
    };
    // Warm every path (connections, the rooms' pages), then measure one request at a time.
    const selectOne = () => db.raw('SELECT 1').then(() => undefined);
    const ops = [page(d.cluster.url, first.token), page(apiNode.url, first.token), page(reference.url, refToken), selectOne];
    await measureInTurns(ops, 500);
    const [viaLb, direct, ref, floor] = (await measureInTurns(ops, REQUESTS)) as [LatencySummary, LatencySummary, LatencySummary, LatencySummary];
    const row = (what: string, h: LatencySummary) => [what, fmt(h.p50, 2), fmt(h.p90, 2), fmt(h.p99, 2), fmt(h.max, 2)];
    const md = `## History over many rooms: the newest page of a random room

Command: \`pnpm bench history-rooms\`. Machine: ${machine()}.

${int(ROOMS * PER_ROOM)} messages over ${int(ROOMS)} rooms in MySQL; one user who entered every room asks for the newest ${PAGE} messages of a random room,
one request at a time (${int(REQUESTS)} requests per path after a warm-up), the paths taking turns request by request so that
the machine's slower and quieter moments fall on all of them alike. The reference is the conventional endpoint: a token check and one
\`SELECT … ORDER BY seq DESC LIMIT\` on the same table, straight to its node. The last row is not a page: \`SELECT 1\` from the
bench process to MariaDB, the round-trip floor of this machine, in the same turns.

${table(
  ['path', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
  [
    row('this cluster, REST through HAProxy and an API node', viaLb),
    row('this cluster, REST straight to the API node', direct),
    row('reference, straight to its node', ref),
    row('floor: SELECT 1 to MariaDB', floor),
  ],
)}

Target: p99 under 5 ms through the load balancer. Ratio of p99s, reference ÷ this cluster through HAProxy: ${fmt(ref.p99 / viaLb.p99, 2)}x; straight to a node: ${fmt(ref.p99 / direct.p99, 2)}x.
`;
    writeSection('history-rooms', md);
    return md;
  } finally {
    await reference.close();
    await db.destroy();
    await d.close();
  }
}

/** `requests` of each op, one at a time, the ops taking turns (starting with a different one each round). */
async function measureInTurns(ops: Array<() => Promise<void>>, requests: number): Promise<LatencySummary[]> {
  const hs = ops.map(() => createHistogram());
  for (let i = 0; i < requests; i++) {
    for (let k = 0; k < ops.length; k++) {
      const j = (i + k) % ops.length;
      const t = performance.now();
      await ops[j]!();
      hs[j]!.recordValue(Math.round((performance.now() - t) * 1000));
    }
  }
  return hs.map(summarize);
}

/** One reference node on the cluster's database, reading the cluster's messages table for history. */
async function startReference(mysqlUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const log = fs.openSync(path.join(os.tmpdir(), `reference-history-${port}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('tools', 'bench', 'src', 'reference', 'main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MYSQL_URL: mysqlUrl,
      REFERENCE_HISTORY_TABLE: 'messages',
      TOKEN_SECRET: randomBytes(24).toString('hex'),
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    () =>
      fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
    { what: 'the reference node', timeoutMs: 60_000 },
  );
  return {
    url,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
