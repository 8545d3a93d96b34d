import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machineTicks } from './proc';

export const BENCHMARKS_FILE = path.resolve(__dirname, '../../../BENCHMARKS.md');

const HEADER = `# Benchmarks

Measured by the scripts in \`tools/bench\` (\`pnpm bench <name>\`), which start
real deployments on loopback (nodes, HAProxy, MariaDB, Redis), drive them with
\`@chat/loadtest\` and rewrite their own section of this file. Every figure
below comes from the run printed with it; comparisons are ratios measured in
the same run. Speed is never asserted by a test.
`;

/** Replaces (or appends) the section `name` of BENCHMARKS.md. */
export function writeSection(name: string, markdown: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const current = fs.existsSync(BENCHMARKS_FILE) ? fs.readFileSync(BENCHMARKS_FILE, 'utf8') : HEADER;
  const i = current.indexOf(start);
  const j = current.indexOf(end);
  const next = i >= 0 && j > i ? current.slice(0, i) + block + current.slice(j + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(BENCHMARKS_FILE, next);
}

function versionOf(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 5000 }).trim().split('\n')[0] ?? '?';
  } catch {
    return '?';
  }
}

let window = machineTicks();

/** Starts the window whose CPU steal `machine()` reports (the CLI calls it before each benchmark). */
export function startRunWindow(): void {
  window = machineTicks();
}

/** Share of CPU time stolen by the hypervisor since `startRunWindow`, in percent. */
export function stealPercent(): number {
  const now = machineTicks();
  const total = now.total - window.total;
  return total > 0 ? (100 * (now.steal - window.steal)) / total : NaN;
}

/** One line naming the machine (and the CPU steal during the run), for every section. */
export function machine(): string {
  const cpus = os.cpus();
  const mem = Math.round(os.totalmem() / 2 ** 30);
  const maria = versionOf('mariadbd', ['--version'])
    .replace(/^.*Ver\s+/, '')
    .split(' ')[0];
  const redis = (versionOf('redis-server', ['--version']).match(/v=(\S+)/) ?? [])[1] ?? '?';
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), ${mem} GB RAM, Linux ${os.release()}, Node ${process.version}, MariaDB ${maria}, Redis ${redis}; everything on loopback, the load generator on the same machine. CPU steal during this run: ${fmt(stealPercent(), 0)}% (time the hypervisor gave these 2 vCPUs to other guests)`;
}

export const fmt = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
export const int = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US'));

export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
