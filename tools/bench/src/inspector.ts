import WebSocket from 'ws';

/**
 * Runs a full garbage collection in another Node process through its
 * inspector (the process must run with `--inspect=127.0.0.1:<port>`), so a
 * memory figure counts what is live, not garbage V8 has not yet collected.
 */
export async function collectGarbage(inspectPort: number, timeoutMs = 30_000): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${inspectPort}`);
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('inspector did not answer in time')), timeoutMs);
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      ws.on('message', (data) => {
        const reply = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
        if (reply.id !== 1) return;
        clearTimeout(timer);
        if (reply.error) reject(new Error(reply.error.message));
        else resolve();
      });
    });
  } finally {
    ws.close();
  }
}
