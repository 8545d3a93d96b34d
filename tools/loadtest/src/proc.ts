import { readFileSync } from 'node:fs';

/** Resident set size of a process in MB from /proc/<pid>/status (Linux); undefined when unreadable. */
export function readRssMb(pid: number): number | undefined {
  try {
    return parseRssMb(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function parseRssMb(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
}
