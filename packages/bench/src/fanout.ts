import { BOUNDS, RAMP, RAMP_P99_MAX_MS, SHAPE, deliveries, measureSustained, stepsTable, summaryTable } from './sustained';
import { fmt, machine, writeSection } from './markdown';

/**
 * Benchmark 1: the highest rate 2 socket nodes behind HAProxy sustain with
 * p99 end-to-end under 50 ms and zero loss, messages stored in MySQL; group
 * commit against one INSERT per message (GROUP_COMMIT=off), the way a typical
 * socket.io chat server writes, measured in the same run.
 */
export async function fanoutBenchmark(): Promise<string> {
  const on = await measureSustained('group commit (default)', { socket: 2, api: 1 });
  const off = await measureSustained('GROUP_COMMIT=off (one INSERT per message, broadcast after it)', {
    socket: 2,
    api: 1,
    env: { GROUP_COMMIT: 'off' },
  });
  const ratio = deliveries(off) > 0 ? deliveries(on) / deliveries(off) : NaN;
  const looseRatio = deliveries(off, 'loose') > 0 ? deliveries(on, 'loose') / deliveries(off, 'loose') : NaN;
  const md = `## 1. Fan-out throughput (2 socket nodes behind HAProxy)

Command: \`pnpm bench fanout\`. Machine: ${machine()}.

Load: ${SHAPE.rooms} rooms x ${SHAPE.clientsPerRoom} members (every member receives every message of its room, sender included),
${RAMP.stepSec} s steps from ${RAMP.start} msg/s/room, x${RAMP.factor} per step, until p99 end-to-end > ${RAMP_P99_MAX_MS} ms or any loss.
Topology: 2 socket nodes + 1 API node behind HAProxy, Redis, MariaDB (every message stored before its ack and its broadcast).

At the issue's bound (p99 end-to-end under ${BOUNDS.p99MaxMs} ms, zero loss):

${summaryTable([on, off])}

At p99 under ${RAMP_P99_MAX_MS} ms, zero loss (where the ramp stopped):

${summaryTable([on, off], 'loose')}

**Ratio of deliveries per second, group commit vs one INSERT per message: under ${BOUNDS.p99MaxMs} ms p99 ${ratioText(ratio, deliveries(on))}; under ${RAMP_P99_MAX_MS} ms p99 ${ratioText(looseRatio, deliveries(on, 'loose'))}.**

Steps, group commit:

${stepsTable(on)}

Steps, GROUP_COMMIT=off:

${stepsTable(off)}
`;
  writeSection('fanout', md);
  return md;
}

/** Benchmark 4: the same ramp with 1, 2 and 3 socket nodes. */
export async function scaleoutBenchmark(): Promise<string> {
  const results = [];
  for (const n of [1, 2, 3]) results.push(await measureSustained(`${n} socket node${n > 1 ? 's' : ''}`, { socket: n, api: 1 }));
  const base = deliveries(results[0]!, 'loose');
  const md = `## 4. Scale-out: 1, 2 and 3 socket nodes

Command: \`pnpm bench scaleout\`. Machine: ${machine()}.

Same load shape and ramp as benchmark 1 (group commit on), one API node, HAProxy in front.

Under ${BOUNDS.p99MaxMs} ms p99:

${summaryTable(results)}

Under ${RAMP_P99_MAX_MS} ms p99:

${summaryTable(results, 'loose')}

Deliveries/s relative to one node (p99 under ${RAMP_P99_MAX_MS} ms): ${results.map((r, i) => `${i + 1} node${i ? 's' : ''} ${fmt(base > 0 ? deliveries(r, 'loose') / base : NaN, 2)}x`).join(', ')}.
`;
  writeSection('scaleout', md);
  return md;
}

/** A ratio, or why there is none: the baseline held no step (and whether group commit did). */
function ratioText(ratio: number, groupCommitDeliveries: number): string {
  if (Number.isFinite(ratio) && ratio > 0) return `${fmt(ratio, 2)}x`;
  if (Number.isFinite(ratio)) return 'no ratio (only GROUP_COMMIT=off held a step)';
  return groupCommitDeliveries > 0 ? 'no ratio (only group commit held a step)' : 'no ratio (neither held a step)';
}
