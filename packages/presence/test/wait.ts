/** Polls `cond` until it holds or the deadline passes (no fixed sleeps in tests). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
