import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface OpsDeps {
  /** Store (and Redis) answer. */
  ready: () => Promise<boolean>;
  /** True once the node has begun shutting down: load balancers must stop sending new work. */
  draining: () => boolean;
  registry: Registry;
  /** Serve /metrics too: only on the internal listener, never on the public port. */
  metrics?: boolean;
}

/**
 * `/healthz` (the process lives), `/readyz` (it can serve) and, on the
 * internal listener, `/metrics` (Prometheus). Framework-free so API and
 * socket nodes share it. Returns false for any other path.
 */
export function createOpsHandler(deps: OpsDeps) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url === '/healthz') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
      return true;
    }
    if (url === '/readyz') {
      void readiness(deps).then((ok) => send(res, ok ? 200 : 503, 'application/json', JSON.stringify({ status: ok ? 'ready' : 'unavailable' })));
      return true;
    }
    if (url === '/metrics' && deps.metrics) {
      void deps.registry
        .metrics()
        .then((text) => send(res, 200, deps.registry.contentType, text))
        .catch(() => send(res, 500, 'text/plain', 'metrics unavailable'));
      return true;
    }
    return false;
  };
}

async function readiness(deps: OpsDeps): Promise<boolean> {
  if (deps.draining()) return false;
  return deps.ready().catch(() => false);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
