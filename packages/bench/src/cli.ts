/**
 * pnpm bench <fanout|scaleout|capacity|history|join-storm|all>
 *
 * Each benchmark starts its own deployment on loopback against the local
 * MariaDB and Redis, prints its section and rewrites it in BENCHMARKS.md.
 */
import { capacityBenchmark } from './capacity';
import { fanoutBenchmark, scaleoutBenchmark } from './fanout';
import { historyBenchmark } from './history';
import { joinStormBenchmark } from './join-storm';

const BENCHMARKS: Record<string, () => Promise<string>> = {
  fanout: fanoutBenchmark,
  capacity: capacityBenchmark,
  history: historyBenchmark,
  scaleout: scaleoutBenchmark,
  'join-storm': joinStormBenchmark,
};

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  if (names.length === 0 || names.some((n) => n !== 'all' && !BENCHMARKS[n])) {
    process.stderr.write(`usage: pnpm bench <${[...Object.keys(BENCHMARKS), 'all'].join('|')}> ...\n`);
    process.exit(2);
  }
  const run = names.includes('all') ? Object.keys(BENCHMARKS) : names;
  for (const name of run) process.stdout.write(`${await BENCHMARKS[name]!()}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
