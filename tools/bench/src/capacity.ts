import { runLoad } from '@chat/loadtest';
import { rssMb, scrape, startSingleNode } from './deployment';
import { collectGarbage } from './inspector';
import { fmt, int, machine, table, writeSection } from './markdown';
import { waitUntil } from '@chat/testkit';
import { REPORT_DIR } from './sustained';

const CONNECTIONS = { rooms: 100, clientsPerRoom: 100 } as const;
const TOTAL = CONNECTIONS.rooms * CONNECTIONS.clientsPerRoom;
const TARGET_KB = 20;
const CONNECT_CONCURRENCY = 50;
/** Idle time after the last connect before memory is read: connect-storm traffic has settled. */
const SETTLE_MS = 10_000;

interface Memory {
  rssMb: number;
  heapUsedMb: number;
}

/**
 * Benchmark 2: resident memory per idle connection on one node at 10,000
 * connections (the embedded entry point in cluster mode, so sessions and
 * sockets share one URL; the socket side is the same gateway code).
 *
 * RSS is read twice while everyone is connected: as the OS sees it, and after
 * a full garbage collection run through the node's inspector. V8 collects its
 * old space only when it grows, so the first figure also holds garbage of the
 * connect storm (and of every ping since); the second is what connections keep.
 */
export async function capacityBenchmark(): Promise<string> {
  const node = await startSingleNode({}, { inspect: true });
  const memory = async (): Promise<Memory> => ({
    rssMb: rssMb(node.pid),
    heapUsedMb: (await scrape(node.metricsUrl, 'nodejs_heap_size_used_bytes')) / 1048576,
  });
  const afterGc = async (): Promise<Memory> => {
    await collectGarbage(node.inspectPort!);
    return memory();
  };
  try {
    // Warm the node (JIT, pools) with a small run, then take the baseline.
    await runLoad({ urls: [node.url], rooms: 5, clientsPerRoom: 10, ratePerRoom: 0, durationSec: 1, warmupSec: 0, workers: 0 });
    const baseline = await memory();
    const baselineGc = await afterGc();
    let connectedAt: { sampled: Memory; collected: Memory } | undefined;
    const run = runLoad({
      urls: [node.url],
      scenario: 'idle',
      ...CONNECTIONS,
      durationSec: 60,
      warmupSec: 0,
      workers: 2,
      connectConcurrency: CONNECT_CONCURRENCY,
      outDir: REPORT_DIR,
    });
    const measuring = (async () => {
      await waitUntil(async () => (await scrape(node.metricsUrl, 'chat_connected_sockets')) >= TOTAL || undefined, {
        timeoutMs: 180_000,
        what: `${TOTAL} sockets connected`,
      });
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const sampled = await memory();
      connectedAt = { sampled, collected: await afterGc() };
    })();
    const [report] = await Promise.all([run, measuring]);
    if (!connectedAt) throw new Error('memory was not measured');
    const connected = report.connections.connected;
    const perConnKb = (before: Memory, at: Memory, key: keyof Memory) => ((at[key] - before[key]) * 1024) / Math.max(1, connected);
    const sampledKb = perConnKb(baseline, connectedAt.sampled, 'rssMb');
    const liveKb = perConnKb(baselineGc, connectedAt.collected, 'rssMb');
    const heapKb = perConnKb(baselineGc, connectedAt.collected, 'heapUsedMb');
    const md = `## 2. Connection capacity: memory per idle connection

Command: \`pnpm bench capacity\`. Machine: ${machine()}.

One node (the embedded entry point in cluster mode: MySQL, Redis presence and bus, socket.io over WebSocket)
takes ${int(TOTAL)} idle members (${CONNECTIONS.rooms} rooms x ${CONNECTIONS.clientsPerRoom}), each an authenticated socket that has joined its room.
Memory is read from /proc (VmRSS) and the node's /metrics after a warm-up run, and again ${SETTLE_MS / 1000} s after the last member connected:
once as sampled, once after a full garbage collection run through the node's inspector (\`HeapProfiler.collectGarbage\`).
V8 collects its old space only when it has grown, so the sampled figure also holds uncollected garbage of the connect storm
(10,000 handshakes, token checks, join messages and \`members\` lists) and of the heartbeats since; the collected figure is what the connections keep.

${table(
  ['measured', 'RSS before MB', 'RSS connected MB', 'per connection KB', 'target KB', 'ratio to target'],
  [
    ['RSS as sampled', fmt(baseline.rssMb), fmt(connectedAt.sampled.rssMb), fmt(sampledKb), `${TARGET_KB}`, fmt(sampledKb / TARGET_KB, 2)],
    ['RSS after a full GC', fmt(baselineGc.rssMb), fmt(connectedAt.collected.rssMb), fmt(liveKb), `${TARGET_KB}`, fmt(liveKb / TARGET_KB, 2)],
  ],
)}

Connected ${int(connected)}, failed ${int(report.connections.failed)}. Live JS heap after the GC: ${fmt(baselineGc.heapUsedMb)} MB before, ${fmt(connectedAt.collected.heapUsedMb)} MB connected,
${fmt(heapKb)} KB per connection (engine.io, ws and net.Socket objects, socket.io's Socket and room maps, our per-socket state); the rest of the RSS is V8 heap slack and native memory.
Connect p99 ${fmt(report.connections.connect.p99)} ms, join p99 ${fmt(report.connections.join.p99)} ms (members connect ${CONNECT_CONCURRENCY} at a time per worker, 2 workers).
`;
    writeSection('capacity', md);
    return md;
  } finally {
    await node.close();
  }
}
