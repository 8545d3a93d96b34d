/**
 * Readiness asks the store and Redis; probes come from every load balancer and
 * orchestrator as often as they like, and nothing public should be able to
 * turn into database traffic. One check per `ttlMs` at most; callers in
 * between share its answer.
 */
export function cachedReadiness(check: () => Promise<boolean>, ttlMs: number, now: () => number = Date.now): () => Promise<boolean> {
  let last: { at: number; answer: Promise<boolean> } | undefined;
  return () => {
    if (last && now() - last.at < ttlMs) return last.answer;
    last = { at: now(), answer: check().catch(() => false) };
    return last.answer;
  };
}
