import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** Latency summary in milliseconds (values are recorded in microseconds). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export type { Histogram };

/** 1 µs .. 10 min at 3 significant digits; grows if a value is larger. */
export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** Compact string form that crosses the worker IPC boundary. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(s: string): Histogram {
  return hdr.decodeFromCompressedBase64(s, 32, false);
}

/** Sum of the encoded histograms (empty strings are skipped). */
export function mergeEncoded(encoded: Iterable<string | undefined>): Histogram {
  const total = createHistogram();
  for (const e of encoded) {
    if (!e) continue;
    const h = decodeHistogram(e);
    total.add(h);
  }
  return total;
}

const ms = (us: number) => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

export function summarizeEncoded(encoded: Iterable<string | undefined>): LatencySummary {
  return summarize(mergeEncoded(encoded));
}
