import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { formatProgress, runLoad } from '@chat/loadtest';
import { cpuSeconds, scrape, startDeployment } from './deployment';
import type { Deployment } from './deployment';
import { fmt, int, machine, table, writeSection } from './markdown';
import { REPORT_DIR } from './sustained';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REFERENCE_ENTRY = ['--import', 'tsx', path.join('tools', 'bench', 'src', 'reference', 'main.ts')];
const NODE_COUNTS = [1, 2, 4] as const;
/**
 * Room shapes at an unsaturated rate (this 2-core machine also runs the load generator): rooms of 20 and one of
 * 2,000 members at 2,000 deliveries/s each, and rooms of 4, fewer members than 4 nodes, where interest routing
 * spares a node the rooms it has no member of.
 */
const SHAPES = [
  { name: 'rooms of 20', rooms: 10, clientsPerRoom: 20, ratePerRoom: 10 },
  { name: 'one room of 2,000', rooms: 1, clientsPerRoom: 2000, ratePerRoom: 1 },
  { name: 'rooms of 4', rooms: 50, clientsPerRoom: 4, ratePerRoom: 4 },
] as const;
const STEP_SEC = 15;
const WARMUP_SEC = 3;

interface Row {
  server: string;
  shape: string;
  nodes: number;
  sent: number;
  delivered: number;
  /** CPU seconds per 1,000 deliveries, by component. */
  cpu: { socket: number; api: number; haproxy: number; redis: number; mariadb: number };
  /** Bus (or adapter) messages each socket node received per message sent, averaged over the nodes. */
  busPerNodePerMessage: number;
  redisCommandsPerMessage: number;
  /** The most frequent Redis commands, per message sent. */
  redisCommandMix: string;
  e2eP99: number;
}

/**
 * `pnpm bench scaling`: what one delivery costs, and whether that cost grows
 * with the number of socket nodes, at a fixed unsaturated load (2 cores
 * cannot show added throughput, but they can show added cost). This cluster
 * and the reference, 1, 2 and 4 socket nodes, small rooms and one big room.
 */
export async function scalingBenchmark(): Promise<string> {
  const rows: Row[] = [];
  for (const shape of SHAPES) {
    for (const nodes of NODE_COUNTS) {
      rows.push(await measure('this cluster', shape, nodes, () => startDeployment({ socket: nodes, api: 1 })));
      rows.push(await measure('reference', shape, nodes, () => startDeployment({ socket: nodes, api: 1, nodeEntry: REFERENCE_ENTRY })));
    }
  }
  const md = `## Scaling: cost per delivery with 1, 2 and 4 socket nodes

Command: \`pnpm bench scaling\`. Machine: ${machine()}.

A fixed, unsaturated load (${SHAPES.map((s) => `${s.name}: ${s.rooms} x ${s.clientsPerRoom} members at ${s.ratePerRoom} msg/s/room`).join('; ')}),
${STEP_SEC} s measured after ${WARMUP_SEC} s of warm-up, clients through HAProxy (so each room's members spread over the socket nodes), one API node.
CPU is user + system time of each process over the measured window above what it burns idle (measured for ${IDLE_SEC} s before the load),
per 1,000 deliveries; the load generator is not counted.
"Bus messages per node" is what each socket node received from Redis per message sent (this cluster: \`chat_bus_messages_received_total\`;
the reference: every broadcast reaches every node through the socket.io Redis adapter). Redis commands per message from \`INFO commandstats\`.

${table(
  [
    'server',
    'room shape',
    'socket nodes',
    'deliveries',
    'socket nodes CPU s/1k',
    'API node',
    'HAProxy',
    'Redis',
    'MariaDB',
    'total',
    'bus msgs per node per message',
    'Redis commands per message',
    'the most frequent ones, per message',
    'e2e p99 ms',
  ],
  rows.map((r) => [
    r.server,
    r.shape,
    `${r.nodes}`,
    int(r.delivered),
    fmt(r.cpu.socket, 3),
    fmt(r.cpu.api, 3),
    fmt(r.cpu.haproxy, 3),
    fmt(r.cpu.redis, 3),
    fmt(r.cpu.mariadb, 3),
    fmt(r.cpu.socket + r.cpu.api + r.cpu.haproxy + r.cpu.redis + r.cpu.mariadb, 3),
    fmt(r.busPerNodePerMessage, 2),
    fmt(r.redisCommandsPerMessage, 2),
    r.redisCommandMix,
    fmt(r.e2eP99),
  ]),
)}

How the cost per delivery moves as socket nodes are added (all components together, and the socket nodes alone; ratios of the same run):

${growthTable(rows)}
`;
  writeSection('scaling', md);
  return md;
}

function growthTable(rows: Row[]): string {
  const total = (r: Row) => r.cpu.socket + r.cpu.api + r.cpu.haproxy + r.cpu.redis + r.cpu.mariadb;
  const out: string[][] = [];
  for (const shape of SHAPES) {
    for (const server of ['this cluster', 'reference']) {
      const byNodes = NODE_COUNTS.map((n) => rows.find((r) => r.shape === shape.name && r.server === server && r.nodes === n));
      const [one, , four] = byNodes;
      if (!one || !four) continue;
      out.push([
        shape.name,
        server,
        byNodes.map((r) => (r ? fmt(total(r), 3) : '-')).join(' / '),
        `${fmt(total(four) / Math.max(1e-9, total(one)), 2)}x`,
        byNodes.map((r) => (r ? fmt(r.cpu.socket, 3) : '-')).join(' / '),
        `${fmt(four.cpu.socket / Math.max(1e-9, one.cpu.socket), 2)}x`,
        byNodes.map((r) => (r ? fmt(r.busPerNodePerMessage, 2) : '-')).join(' / '),
      ]);
    }
  }
  return table(
    [
      'room shape',
      'server',
      'total CPU s/1k, 1 / 2 / 4 nodes',
      '4 nodes ÷ 1 node',
      'socket nodes CPU s/1k, 1 / 2 / 4',
      '4 nodes ÷ 1 node',
      'bus msgs per node per message, 1 / 2 / 4',
    ],
    out,
  );
}

async function measure(server: string, shape: (typeof SHAPES)[number], nodes: number, start: () => Promise<Deployment>): Promise<Row> {
  process.stderr.write(`\n== ${server}, ${shape.name}, ${nodes} socket node(s)\n`);
  const d = await start();
  const redis = new Redis(REDIS_URL);
  try {
    const socketNodes = d.cluster.nodes.filter((n) => n.kind === 'socket');
    const apiNodes = d.cluster.nodes.filter((n) => n.kind === 'api');
    const pids = { redis: redisPid(), mariadb: pidOf('mariadbd') };
    // What the components burn with nobody connected (timers, heartbeats, background threads), per second: subtracted below.
    const idleFrom = snapshot();
    const idleStarted = Date.now();
    await new Promise((r) => setTimeout(r, IDLE_SEC * 1000));
    const idle = perSecond(idleFrom, snapshot(), (Date.now() - idleStarted) / 1000);
    let before: Snapshot | undefined;
    let beforeAt = 0;
    // The window ends when the generator starts closing: its disconnects (leaves, announcements) are not deliveries.
    let after: Snapshot | undefined;
    let afterAt = 0;
    let commands: ReturnType<typeof redisCalls> | undefined;
    let busBefore: Promise<number> = Promise.resolve(0);
    let busAfter: Promise<number> | undefined;
    const busTotal = () => (server === 'reference' ? Promise.resolve(0) : busSum(socketNodes.map((n) => n.metricsUrl)));
    const report = await runLoad({
      urls: [d.cluster.url],
      rooms: shape.rooms,
      clientsPerRoom: shape.clientsPerRoom,
      ratePerRoom: shape.ratePerRoom,
      durationSec: STEP_SEC,
      warmupSec: WARMUP_SEC,
      p99MaxMs: 600_000,
      lossMax: 1,
      workers: 2,
      connectConcurrency: 200,
      outDir: path.join(REPORT_DIR, `scaling-${server.split(' ')[0]}-${shape.rooms}x${shape.clientsPerRoom}-${nodes}`),
      onProgress: (p) => {
        // The measured window starts after the warm-up: CPU and Redis counters from then on.
        if (!before && p.phase === 'measuring') {
          before = snapshot();
          beforeAt = Date.now();
          busBefore = busTotal();
          void redis.config('RESETSTAT');
        }
        if (before && !after && p.phase !== 'measuring') {
          after = snapshot();
          afterAt = Date.now();
          commands = redisCalls(redis);
          busAfter = busTotal();
        }
        process.stderr.write(`  ${formatProgress(p)}\n`);
      },
    });
    const end = after ?? snapshot();
    const start0 = before ?? end;
    const windowSec = before ? ((after ? afterAt : Date.now()) - beforeAt) / 1000 : 0;
    function snapshot(): Snapshot {
      return {
        socket: socketNodes.reduce((sum, n) => sum + cpuSeconds(n.pid), 0),
        api: apiNodes.reduce((sum, n) => sum + cpuSeconds(n.pid), 0),
        haproxy: treeCpuSeconds(d.cluster.haproxyPid),
        redis: cpuSeconds(pids.redis),
        mariadb: cpuSeconds(pids.mariadb),
      };
    }
    const step = report.steps.at(-1)!;
    // Above idle: the cost of the deliveries, not of running the processes at all.
    const perK = (k: keyof Snapshot) => (Math.max(0, end[k] - start0[k] - idle[k] * windowSec) / Math.max(1, step.delivered)) * 1000;
    const calls = await (commands ?? redisCalls(redis));
    const bus = ((await (busAfter ?? busTotal())) - (await busBefore)) / Math.max(1, step.sent);
    return {
      server,
      shape: shape.name,
      nodes,
      sent: step.sent,
      delivered: step.delivered,
      cpu: { socket: perK('socket'), api: perK('api'), haproxy: perK('haproxy'), redis: perK('redis'), mariadb: perK('mariadb') },
      busPerNodePerMessage: server === 'reference' ? 1 : bus / socketNodes.length,
      redisCommandsPerMessage: calls.total / Math.max(1, step.sent),
      redisCommandMix: commandMix(calls.byCommand, step.sent),
      e2eP99: step.e2e.p99,
    };
  } finally {
    redis.disconnect();
    await d.close();
  }
}

const IDLE_SEC = 5;

/** CPU seconds per second of each component between two snapshots. */
function perSecond(a: Snapshot, b: Snapshot, seconds: number): Snapshot {
  const rate = (k: keyof Snapshot) => (b[k] - a[k]) / Math.max(0.001, seconds);
  return { socket: rate('socket'), api: rate('api'), haproxy: rate('haproxy'), redis: rate('redis'), mariadb: rate('mariadb') };
}

/** A process and its children (HAProxy's master does no work; its worker does). */
function treeCpuSeconds(pid: number): number {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    // no children
  }
  return [pid, ...children].reduce((sum, p) => sum + cpuSeconds(p), 0);
}

interface Snapshot {
  socket: number;
  api: number;
  haproxy: number;
  redis: number;
  mariadb: number;
}

/** Messages the socket nodes have received from the bus, summed over the nodes. */
async function busSum(metricsUrls: string[]): Promise<number> {
  let received = 0;
  for (const url of metricsUrls) received += await scrape(url, 'chat_bus_messages_received_total');
  return received;
}

/** Commands Redis ran since its stats were reset at the start of the measured window. */
async function redisCalls(redis: Redis): Promise<{ total: number; byCommand: Map<string, number> }> {
  const info = await redis.info('commandstats');
  const byCommand = new Map<string, number>();
  for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) if (m[1] !== 'config|resetstat') byCommand.set(m[1]!, Number(m[2]));
  return { total: [...byCommand.values()].reduce((a, b) => a + b, 0), byCommand };
}

function commandMix(byCommand: Map<string, number>, sent: number): string {
  return [...byCommand]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, calls]) => `${name} ${fmt(calls / Math.max(1, sent), 1)}`)
    .join(', ');
}

function pidOf(name: string): number {
  return Number(execFileSync('pgrep', ['-xo', name], { encoding: 'utf8' }).trim().split('\n')[0]);
}

function redisPid(): number {
  const info = execFileSync('redis-cli', ['-u', REDIS_URL, 'INFO', 'server'], { encoding: 'utf8' });
  return Number(/process_id:(\d+)/.exec(info)?.[1]);
}
