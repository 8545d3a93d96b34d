import { performance } from 'node:perf_hooks';

/**
 * Wall-clock milliseconds with sub-millisecond resolution. Sender and receiver
 * may live in different worker processes, so a monotonic per-process clock is
 * not comparable; timeOrigin + now() is, to within the system clock's accuracy
 * (same machine).
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Latencies are recorded in integer microseconds (HDR histograms take integers). */
export function toMicros(ms: number): number {
  return Math.max(0, Math.round(ms * 1000));
}
