/** Cumulative histogram buckets of one metric (one label set), from a Prometheus text scrape. */
export interface Buckets {
  /** Upper bounds in seconds, ascending, with +Inf last. */
  le: number[];
  /** Cumulative counts per bound. */
  counts: number[];
  sum: number;
}

/** Every label set of histogram `name` whose labels include `match`, summed (over nodes, say). */
export function histogram(text: string, name: string, match: Record<string, string> = {}): Buckets {
  const byLe = new Map<number, number>();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} ([\d.eE+-]+|NaN|\+Inf)$/.exec(line);
    if (!m) continue;
    const [, metric, labelText, value] = m as unknown as [string, string, string, string];
    const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (!Object.entries(match).every(([k, v]) => labels[k] === v)) continue;
    if (metric === `${name}_bucket`) {
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + Number(value));
    } else if (metric === `${name}_sum`) sum += Number(value);
  }
  const le = [...byLe.keys()].sort((a, b) => a - b);
  return { le, counts: le.map((b) => byLe.get(b)!), sum };
}

/** What happened between two scrapes of the same histogram. */
export function minus(after: Buckets, before: Buckets): Buckets {
  return { le: after.le, counts: after.counts.map((c, i) => c - (before.counts[i] ?? 0)), sum: after.sum - before.sum };
}

/** Two windows of the same histogram added up (runs of one variant, say); a window with no buckets adds nothing. */
export function plus(a: Buckets, b: Buckets): Buckets {
  if (a.le.length === 0) return b;
  if (b.le.length === 0) return a;
  return { le: a.le, counts: a.counts.map((c, i) => c + (b.counts[i] ?? 0)), sum: a.sum + b.sum };
}

export const count = (b: Buckets): number => b.counts.at(-1) ?? 0;

/** The q-quantile in seconds, interpolated within its bucket (as Prometheus' histogram_quantile does). */
export function quantile(b: Buckets, q: number): number {
  const total = count(b);
  if (total === 0) return NaN;
  const rank = q * total;
  for (let i = 0; i < b.le.length; i++) {
    if (b.counts[i]! >= rank) {
      const lower = i === 0 ? 0 : b.le[i - 1]!;
      const upper = b.le[i]!;
      if (!Number.isFinite(upper)) return lower;
      const below = i === 0 ? 0 : b.counts[i - 1]!;
      const inBucket = b.counts[i]! - below;
      return inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
    }
  }
  return b.le.at(-2) ?? NaN;
}

/** The value of gauge `name` on every line whose labels include `match` (one per node, say). */
export function gaugeValues(text: string, name: string, match: Record<string, string> = {}): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} ([\d.eE+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) values.push(Number(m[3]));
  }
  return values;
}
