/** @chat/bench: the benchmarks behind BENCHMARKS.md (run with `pnpm bench`). */
export { fanoutBenchmark, scaleoutBenchmark } from './fanout';
export { capacityBenchmark } from './capacity';
export { historyBenchmark } from './history';
export { joinStormBenchmark } from './join-storm';
export { startupBenchmark } from './startup';
export { writeSection, BENCHMARKS_FILE } from './markdown';
