import type { ProgressSnapshot } from './options';

/** The one-line live status written to stderr once per second. */
export function formatProgress(p: ProgressSnapshot): string {
  const sat = p.saturatedWorkers > 0 ? `  SATURATED workers=${p.saturatedWorkers}` : '';
  return `[${String(p.elapsedSec).padStart(4)}s] ${p.phase.padEnd(14)} conn ${p.connected}/${p.target}  sent ${p.sentPerSec}/s  deliv ${p.deliveredPerSec}/s  err ${p.errorsPerSec}/s  e2e p99 ${p.e2eP99Ms} ms  inflight ${p.inflight}${sat}`;
}
