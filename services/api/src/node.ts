import http from 'node:http';
import { bootNode, listen, urlFor } from '@chat/runtime';
import type { NodeContext, RunningNode } from '@chat/runtime';
import { createApiApp } from './app';

export function apiAppFor(ctx: NodeContext) {
  return createApiApp({
    chat: ctx.chat,
    tokens: ctx.adapters.tokens,
    logger: ctx.logger,
    metrics: ctx.metrics,
    ready: ctx.ready,
    draining: ctx.draining,
    corsOrigins: ctx.config.corsOrigins,
    trustProxyHops: ctx.config.TRUST_PROXY_HOPS,
    serverApiKeys: ctx.config.serverApiKeys,
  });
}

/** A stateless API node. */
export async function startApiNode(env: Record<string, string | undefined>): Promise<RunningNode & { ctx: NodeContext; metricsUrl: string }> {
  const ctx = await bootNode(env, 'api');
  const server = http.createServer(apiAppFor(ctx));
  const port = await listen(server, ctx.config.PORT, ctx.config.HOST);
  let closing: Promise<void> | undefined;
  return {
    ctx,
    url: urlFor(ctx.config.HOST, port),
    port,
    nodeId: ctx.config.nodeId,
    metricsUrl: ctx.metricsUrl,
    close: () =>
      (closing ??= (async () => {
        ctx.setDraining();
        // Finish requests in flight; idle keep-alive connections are closed now.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
        await ctx.shutdown();
      })()),
  };
}
