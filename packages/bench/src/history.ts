import { randomUUID } from 'node:crypto';
import * as hdr from 'hdr-histogram-js';
import knex from 'knex';
import { createKnexStore, knexConfig } from '@chat/store';
import type { StoredMessage } from '@chat/store';
import { newSession } from '@chat/testkit';
import { startDeployment } from './deployment';
import { fmt, int, machine, table, writeSection } from './markdown';

const BIG = 1_000_000;
const SMALL = 1_000;
const PAGE = 50;
const REQUESTS = 4_000;
const CONCURRENCY = 4;
const FILL_BATCH = 5_000;

/**
 * Benchmark 3: p99 of a 50-message history page (REST, through HAProxy and an
 * API node) with 1,000,000 messages stored in one room in MySQL, against the
 * same request on a room of 1,000 messages in the same run, and the store's
 * own query time.
 */
export async function historyBenchmark(): Promise<string> {
  const d = await startDeployment({ socket: 1, api: 1 });
  const db = knex(knexConfig({ mysqlUrl: d.dbUrl }));
  try {
    const big = await newSession(d.cluster.url, { chatroomName: 'bench-history-big' });
    const small = await newSession(d.cluster.url, { chatroomName: 'bench-history-small' });
    const store = createKnexStore(db);
    const fillStarted = Date.now();
    await fill(store, big.roomId, BIG);
    await fill(store, small.roomId, SMALL);
    const fillSec = (Date.now() - fillStarted) / 1000;

    const rest = async (roomId: string, token: string, count: number) =>
      measure(async () => {
        const before = 1 + Math.floor(Math.random() * count);
        const res = await fetch(`${d.cluster.url}/api/v1/rooms/${roomId}/messages?before=${before}&limit=${PAGE}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (res.status !== 200) throw new Error(`history answered ${res.status}`);
        await res.arrayBuffer();
      });
    const query = async (roomId: string, count: number) =>
      measure(() => store.history(roomId, { before: 1 + Math.floor(Math.random() * count), limit: PAGE }).then(() => undefined));

    // Warm both paths, then measure.
    await rest(big.roomId, big.token, BIG);
    const restBig = await rest(big.roomId, big.token, BIG);
    const restSmall = await rest(small.roomId, small.token, SMALL);
    const storeBig = await query(big.roomId, BIG);
    const storeSmall = await query(small.roomId, SMALL);
    const row = (what: string, rows: number, h: Summary) => [what, int(rows), fmt(h.p50, 2), fmt(h.p90, 2), fmt(h.p99, 2), fmt(h.max, 2), int(h.perSec)];
    const md = `## 3. History: a 50-message page with 1,000,000 messages stored

Command: \`pnpm bench history\`. Machine: ${machine()}.

One room holds ${int(BIG)} messages in MySQL (filled in ${fmt(fillSec, 0)} s through the store's batch insert), another ${int(SMALL)}.
Each request asks for the ${PAGE} messages before a random seq: \`GET /api/v1/rooms/:id/messages?before=<seq>&limit=${PAGE}\` with a bearer token,
through HAProxy and an API node (${int(REQUESTS)} requests, ${CONCURRENCY} in flight), and the same page straight from the store (\`ChatStore.history\`).

${table(
  ['path', 'rows in room', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'pages/s'],
  [
    row('REST via HAProxy', BIG, restBig),
    row('REST via HAProxy', SMALL, restSmall),
    row('store query', BIG, storeBig),
    row('store query', SMALL, storeSmall),
  ],
)}

**p99 with 1,000,000 rows vs 1,000 rows: ${fmt(restBig.p99 / restSmall.p99, 2)}x (REST), ${fmt(storeBig.p99 / storeSmall.p99, 2)}x (store)**: the page is a range scan of the
\`(room_id, seq)\` primary key, so its cost does not grow with the room. Target: p99 under 5 ms.
`;
    writeSection('history', md);
    return md;
  } finally {
    await db.destroy();
    await d.close();
  }
}

async function fill(store: ReturnType<typeof createKnexStore>, roomId: string, count: number): Promise<void> {
  const t0 = Date.now();
  for (let from = 1; from <= count; from += FILL_BATCH) {
    const batch: StoredMessage[] = [];
    for (let seq = from; seq < Math.min(from + FILL_BATCH, count + 1); seq++) {
      batch.push({ id: randomUUID(), roomId, seq, userId: 'bench-user', nickName: 'bench', content: `history row ${seq} `.padEnd(120, '.'), kind: 'user', sentAt: t0 + seq });
    }
    await store.appendMessages(batch);
    if (from % 100_000 === 1) process.stderr.write(`  filled ${from - 1 + batch.length}/${count}\n`);
  }
}

interface Summary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  perSec: number;
}

async function measure(op: () => Promise<void>): Promise<Summary> {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let remaining = REQUESTS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (remaining-- > 0) {
        const t = performance.now();
        await op();
        h.recordValue(Math.round((performance.now() - t) * 1000));
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const ms = (p: number) => h.getValueAtPercentile(p) / 1000;
  return { p50: ms(50), p90: ms(90), p99: ms(99), max: h.maxValue / 1000, perSec: REQUESTS / elapsed };
}
