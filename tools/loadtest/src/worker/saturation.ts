import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';

/** Sampling period of the event-loop delay histogram. */
const LOOP_RESOLUTION_MS = 10;

export interface LoadSample {
  loopP99Ms: number;
  cpuPct: number;
  saturated: boolean;
}

/**
 * Is the generator itself the bottleneck? A busy event loop delays sends and
 * the timestamps of deliveries, which then look like server latency.
 * CPU is of this process (one core = 100%).
 */
export class SaturationProbe {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private cpu = process.cpuUsage();
  private at = performance.now();

  constructor(private readonly limits: { loopP99MaxMs: number; cpuMaxPct: number }) {
    this.loop.enable();
  }

  /** Values since the previous call. */
  sample(): LoadSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.cpu);
    const elapsedMs = Math.max(1, now - this.at);
    const cpuPct = Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10;
    // The histogram holds the sampling timer's whole period, not just its lateness: subtract the period.
    const loopP99Ms = this.loop.count > 0 ? Math.max(0, Math.round(this.loop.percentile(99) / 1e4) / 100 - LOOP_RESOLUTION_MS) : 0;
    this.loop.reset();
    this.cpu = process.cpuUsage();
    this.at = now;
    return { loopP99Ms, cpuPct, saturated: loopP99Ms > this.limits.loopP99MaxMs || cpuPct > this.limits.cpuMaxPct };
  }

  close(): void {
    this.loop.disable();
  }
}
