import { runLoad } from '@chat/loadtest';
import { cpuSeconds, scrape, startSingleNode } from './deployment';
import { fmt, int, machine, table, writeSection } from './markdown';
import { REPORT_DIR } from './sustained';

const MEMBERS = 5_000;
/** The storm is bounded: what has not joined by then is reported as such. */
const RUN_TIMEOUT_MS = 90_000;

interface StormResult {
  label: string;
  connected: number;
  allInSec: number | undefined;
  cpuSec: number;
  membersFrames: number;
  messageFrames: number;
  joinP99: number;
}

/**
 * A join storm: 5,000 members join one room on one node as fast as the
 * generator can connect them. Measured: the time until all are in, the node's
 * CPU, and the frames it sent (`members` lists and the join announcements).
 * Coalesced members updates (the default 250 ms, growing with the room) are
 * compared with the shortest interval the config allows, in the same run.
 */
export async function joinStormBenchmark(): Promise<string> {
  const only = process.env.JOIN_STORM_ONLY;
  const variants: Array<[string, Record<string, string>]> = [
    ['defaults (announcements up to 200 online, `members` every 250 ms per 500 local sockets)', {}],
    ['every join announced (ANNOUNCE_MAX_MEMBERS=1000000)', { ANNOUNCE_MAX_MEMBERS: '1000000' }],
    ['`members` at the shortest interval (MEMBERS_INTERVAL_MS=10)', { MEMBERS_INTERVAL_MS: '10' }],
  ];
  const results: StormResult[] = [];
  for (const [label, env] of variants.filter((_, i) => only === undefined || String(i) === only)) results.push(await storm(label, env));
  // Compare at the number of members the default run actually got in (the storm is bounded in time).
  const n = results[0]!.connected;
  const perJoinLists = (n * (n + 1)) / 2;
  const md = `## Join storm: ${int(MEMBERS)} members joining one room

Command: \`pnpm bench join-storm\`. Machine: ${machine()}.

One node (embedded entry point in cluster mode), ${int(MEMBERS)} members of one room connect and join at once (50 at a time per generator worker, 2 workers).
"All in" is the first second at which every member is connected and joined. Frames are counted by the node's own metrics
(\`chat_members_frames_out_total\`, \`chat_messages_out_total\`), CPU from /proc.

${table(
  [
    'variant',
    `joined (of ${int(MEMBERS)}, within ${RUN_TIMEOUT_MS / 1000} s)`,
    'all in after s',
    'join p99 ms',
    'node CPU s',
    '`members` frames',
    'message frames (join announcements)',
  ],
  results.map((r) => [r.label, int(r.connected), fmt(r.allInSec, 0), fmt(r.joinP99), fmt(r.cpuSec), int(r.membersFrames), int(r.messageFrames)]),
)}

With the defaults, join and leave messages stop once the room has more than 200 online users
(\`ANNOUNCE_MAX_MEMBERS\`), and above 200 members (\`MEMBERS_FULL_LIST_MAX\`) each socket gets one full \`members\` list, at
the first update after it joined, and from then on only \`members_diff\` (who came and went since its last list). The second
row announces every join as a stored message, as the product did before: n joins are n(n-1)/2 message deliveries,
which is what slows the storm down as the room fills. The third row sends \`members\` updates as often as the config allows.

A server that sends the full list to every member on every join sends n(n+1)/2 = ${int(perJoinLists)} \`members\` frames for the n = ${int(n)}
members the default run got in, each carrying up to n entries (computed, not run): **${fmt(perJoinLists / Math.max(1, results[0]!.membersFrames), 1)}x** the frames of the default here,
and the frames of the default are mostly diffs of a few entries.
`;
  writeSection('join-storm', md);
  return md;
}

async function storm(label: string, env: Record<string, string>): Promise<StormResult> {
  process.stderr.write(`\n== join storm, ${label}\n`);
  const node = await startSingleNode(env);
  try {
    const cpu0 = cpuSeconds(node.pid);
    const members0 = await scrape(node.metricsUrl, 'chat_members_frames_out_total');
    const messages0 = await scrape(node.metricsUrl, 'chat_messages_out_total');
    const usage = async () => ({
      cpuSec: cpuSeconds(node.pid) - cpu0,
      membersFrames: (await scrape(node.metricsUrl, 'chat_members_frames_out_total')) - members0,
      messageFrames: (await scrape(node.metricsUrl, 'chat_messages_out_total')) - messages0,
    });
    let allInSec: number | undefined;
    let lastConnected = 0;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), RUN_TIMEOUT_MS);
    try {
      const report = await runLoad({
        urls: [node.url],
        rooms: 1,
        clientsPerRoom: MEMBERS,
        ratePerRoom: 0,
        durationSec: 5,
        warmupSec: 0,
        workers: 2,
        connectConcurrency: 50,
        outDir: REPORT_DIR,
        signal: controller.signal,
        onProgress: (p) => {
          lastConnected = p.connected;
          if (allInSec === undefined && p.connected >= p.target) allInSec = p.elapsedSec;
          process.stderr.write(`  ${p.elapsedSec.toFixed(0)} s: ${p.connected}/${p.target} in\n`);
        },
      });
      return { label, connected: report.connections.connected, allInSec, joinP99: report.connections.join.p99, ...(await usage()) };
    } catch (err) {
      if (!controller.signal.aborted) throw err;
      // Ran out of time: report how far the storm got.
      return { label, connected: lastConnected, allInSec: undefined, joinP99: NaN, ...(await usage()) };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await node.close();
  }
}
