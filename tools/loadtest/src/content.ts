/**
 * What a load message carries in its `content`, so that any receiver (in any
 * worker process) can compute the end-to-end latency and attribute the
 * delivery without asking the sender: run id, sender id, per-sender counter,
 * send timestamp (wall-clock ms) and the step it was sent in.
 */
export interface LoadPayload {
  /** Run id: ignores traffic from other runs or real users in the same room. */
  r: string;
  /** Sender: global client index. */
  s: number;
  /** Per-sender counter. */
  n: number;
  /** Send time, wall-clock ms (see clock.ts). */
  t: number;
  /** Step index; -1 = warmup (not measured). */
  p: number;
}

const PREFIX = '{"r":"';

export function encodePayload(p: LoadPayload, padToBytes = 0): string {
  const base = `${PREFIX}${p.r}","s":${p.s},"n":${p.n},"t":${p.t},"p":${p.p}`;
  const pad = padToBytes - base.length - 8; // ',"x":""}'
  return pad > 0 ? `${base},"x":"${'x'.repeat(pad)}"}` : `${base}}`;
}

/** Undefined for anything that is not a load message of this run. */
export function decodePayload(content: string, runId: string): LoadPayload | undefined {
  if (!content.startsWith(PREFIX)) return undefined;
  try {
    const v = JSON.parse(content) as Partial<LoadPayload>;
    if (v.r !== runId || typeof v.s !== 'number' || typeof v.n !== 'number' || typeof v.t !== 'number' || typeof v.p !== 'number') {
      return undefined;
    }
    return { r: v.r, s: v.s, n: v.n, t: v.t, p: v.p };
  } catch {
    return undefined;
  }
}
