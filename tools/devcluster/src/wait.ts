import http from 'node:http';

export interface HttpResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One GET with its own timeout and no keep-alive agent, so nothing stays open afterwards. */
export function httpGet(url: string, timeoutMs = 2000, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Checked before each attempt; a string aborts the wait with that reason (e.g. the process exited). */
  abort?: () => string | undefined;
}

/**
 * Polls `probe` until it returns a value other than undefined, with a deadline.
 * Returns the value, or throws with the last probe error / abort reason.
 */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, opts: PollOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 100;
  let last = 'no attempt yet';
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'condition not met';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`${what}: not reached within ${opts.timeoutMs} ms (last: ${last})`);
    await delay(interval);
  }
}

function delay(ms: number): Promise<void> {
  // Deliberately ref'd: while a poll is pending it may be the only thing
  // keeping the process alive (e.g. every child already exited), and the
  // poll must get to report that. Polls end by their deadline.
  return new Promise((resolve) => setTimeout(resolve, ms));
}
