/**
 * pnpm bench <fanout|scaleout|capacity|history|join-storm|startup|compare|scaling|breakdown|history-rooms|presence-read|all>
 *
 * Each benchmark starts its own deployment on loopback against the local
 * MariaDB and Redis, prints its section and rewrites it in BENCHMARKS.md.
 */
import { capacityBenchmark } from './capacity';
import { compareBenchmark } from './compare';
import { scalingBenchmark } from './scaling';
import { breakdownBenchmark } from './breakdown';
import { historyRoomsBenchmark } from './history-rooms';
import { presenceReadBenchmark } from './presence-read';
import { fanoutBenchmark, scaleoutBenchmark } from './fanout';
import { historyBenchmark } from './history';
import { joinStormBenchmark } from './join-storm';
import { startupBenchmark } from './startup';
import { closeAllDeployments } from './deployment';
import { startRunWindow } from './markdown';

const BENCHMARKS: Record<string, () => Promise<string>> = {
  fanout: fanoutBenchmark,
  capacity: capacityBenchmark,
  history: historyBenchmark,
  scaleout: scaleoutBenchmark,
  'join-storm': joinStormBenchmark,
  startup: startupBenchmark,
  compare: compareBenchmark,
  scaling: scalingBenchmark,
  breakdown: breakdownBenchmark,
  'history-rooms': historyRoomsBenchmark,
  'presence-read': presenceReadBenchmark,
};

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  if (names.length === 0 || names.some((n) => n !== 'all' && !BENCHMARKS[n])) {
    process.stderr.write(`usage: pnpm bench <${[...Object.keys(BENCHMARKS), 'all'].join('|')}> ...\n`);
    process.exit(2);
  }
  const run = names.includes('all') ? Object.keys(BENCHMARKS) : names;
  for (const name of run) {
    startRunWindow();
    process.stdout.write(`${await BENCHMARKS[name]!()}\n`);
  }
}

// Stopped midway: end the nodes, HAProxy and temporary databases this run started, then exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the deployments this benchmark started\n`);
    void closeAllDeployments().finally(() => process.exit(130));
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
