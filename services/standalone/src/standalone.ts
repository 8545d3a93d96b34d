import http from 'node:http';
import { apiAppFor } from '@chat/api';
import { gatewayFor, drainAndClose } from '@chat/socket';
import { bootNode, listen, urlFor } from '@chat/runtime';
import type { NodeContext, RunningNode } from '@chat/runtime';

/**
 * Embedded mode: the API and the socket gateway on one port in one process.
 * With no MYSQL_URL/REDIS_URL it runs on SQLite in DATA_DIR with in-memory
 * presence, bus and rate limits; with them it is simply a node that does both.
 */
export async function startStandalone(env: Record<string, string | undefined>): Promise<RunningNode & { ctx: NodeContext; metricsUrl: string }> {
  const ctx = await bootNode(env, 'standalone');
  const server = http.createServer(apiAppFor(ctx));
  const gateway = gatewayFor(server, ctx);
  const port = await listen(server, ctx.config.PORT, ctx.config.HOST);
  let closing: Promise<void> | undefined;
  return {
    ctx,
    url: urlFor(ctx.config.HOST, port),
    port,
    nodeId: ctx.config.nodeId,
    metricsUrl: ctx.metricsUrl,
    close: () => (closing ??= drainAndClose(ctx, gateway)),
  };
}
