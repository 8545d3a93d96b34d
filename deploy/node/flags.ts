/**
 * The V8 flags every product node runs with, wherever it is started: the
 * image's start.sh, `pnpm start`, `pnpm cluster` and the benchmarks' deployments
 * (deploy/test checks that they agree).
 *
 * A young generation capped at 8 MB per semi-space instead of V8's 16: a
 * scavenge stops the node for as long as it takes to copy what is alive at
 * that moment, so scavenges twice as often each stop it for about half as long.
 * Measured by `pnpm bench breakdown` in three runs (BENCHMARKS.md, 2026-12-08)
 * at 12,000 deliveries/s: the median minor GC pause about halved (8 to 4.5 ms),
 * its p99 fell by a third, and the event-loop delay and the main threads' CPU
 * fell with them; 4 and 2 MB paid more in total GC time than they saved per
 * pause.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
