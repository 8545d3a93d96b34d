import fs from 'node:fs';

/** Whole-machine CPU ticks from /proc/stat: idle (idle + iowait), steal (the hypervisor ran another guest on our vCPUs), total. */
export interface MachineTicks {
  idle: number;
  steal: number;
  total: number;
}

export function machineTicks(): MachineTicks {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { idle: (f[3] ?? 0) + (f[4] ?? 0), steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return { idle: 0, steal: 0, total: 0 };
  }
}

/** Share of the machine's CPU time that was busy between two readings (0 to 1). */
export function busyShare(from: MachineTicks, to: MachineTicks): number {
  return 1 - (to.idle - from.idle) / Math.max(1, to.total - from.total);
}
