import { runLoad } from '@chat/loadtest';
import { rssMb, startSingleNode } from './deployment';
import { fmt, int, machine, table, writeSection } from './markdown';
import { REPORT_DIR } from './sustained';

const CONNECTIONS = { rooms: 100, clientsPerRoom: 100 } as const;
const TARGET_KB = 20;
const CONNECT_CONCURRENCY = 50;

/**
 * Benchmark 2: resident memory per idle connection on one node at 10,000
 * connections (the embedded entry point in cluster mode, so sessions and
 * sockets share one URL; the socket side is the same gateway code).
 */
export async function capacityBenchmark(): Promise<string> {
  const node = await startSingleNode();
  try {
    // Warm the node (JIT, pools) with a small run, then take the baseline.
    await runLoad({ urls: [node.url], rooms: 5, clientsPerRoom: 10, ratePerRoom: 0, durationSec: 1, warmupSec: 0, workers: 0 });
    const baseline = rssMb(node.pid);
    const report = await runLoad({
      urls: [node.url],
      scenario: 'idle',
      ...CONNECTIONS,
      durationSec: 15,
      warmupSec: 0,
      workers: 2,
      serverPid: node.pid,
      connectConcurrency: CONNECT_CONCURRENCY,
      outDir: REPORT_DIR,
    });
    const connected = report.connections.connected;
    // The last sample taken while everyone was connected (after the run the members leave, and that costs memory too).
    const end = report.server?.rssMbEnd ?? NaN;
    const perConnKb = ((end - baseline) * 1024) / Math.max(1, connected);
    const md = `## 2. Connection capacity: memory per idle connection

Command: \`pnpm bench capacity\`. Machine: ${machine()}.

One node (the embedded entry point in cluster mode: MySQL, Redis presence and bus, socket.io over WebSocket)
takes ${int(CONNECTIONS.rooms * CONNECTIONS.clientsPerRoom)} idle members (${CONNECTIONS.rooms} rooms x ${CONNECTIONS.clientsPerRoom}), each an authenticated socket that has joined its room.
Resident memory (VmRSS) is read from /proc after a warm-up run, then sampled every second while everyone is connected (15 s); "connected" is the last sample.

${table(
  ['connected', 'failed', 'RSS before MB', 'RSS connected MB', 'RSS peak MB', 'per connection KB', 'target KB', 'ratio to target'],
  [[int(connected), int(report.connections.failed), fmt(baseline), fmt(end), fmt(report.server?.rssMbPeak), fmt(perConnKb), `${TARGET_KB}`, fmt(perConnKb / TARGET_KB, 2)]],
)}

Connect p99 ${fmt(report.connections.connect.p99)} ms, join p99 ${fmt(report.connections.join.p99)} ms (members connect ${CONNECT_CONCURRENCY} at a time per worker, 2 workers).
`;
    writeSection('capacity', md);
    return md;
  } finally {
    await node.close();
  }
}
