import http from 'node:http';
import { createOpsHandler } from '@chat/observability';
import { bootNode, listen, urlFor } from '@chat/runtime';
import type { NodeContext, RunningNode } from '@chat/runtime';
import { attachSocketGateway } from './gateway';
import type { SocketGateway } from './gateway';
import { redisAdapterFor } from './adapter';
import { parserFor } from './parser';

/** Builds the socket.io gateway on a node's adapters and domain. */
export function gatewayFor(server: http.Server, ctx: NodeContext): SocketGateway {
  const { adapters, config } = ctx;
  return attachSocketGateway(server, {
    chat: ctx.chat,
    tokens: adapters.tokens,
    bus: adapters.bus,
    logger: ctx.logger,
    metrics: ctx.metrics,
    corsOrigins: config.corsOrigins,
    limits: {
      roomsPerSocket: config.ROOMS_PER_SOCKET_MAX,
      connectionsPerUser: config.CONNECTIONS_PER_USER_MAX,
      connectionsPerAddress: config.CONNECTIONS_PER_ADDRESS_MAX,
      socketEvents: config.SOCKET_EVENT_RATE_LIMIT,
      clientQueueBytes: config.CLIENT_QUEUE_MAX_BYTES,
      resume: config.RESUME_MAX,
    },
    trustProxyHops: config.TRUST_PROXY_HOPS,
    delivery: {
      gapTimeoutMs: config.GAP_TIMEOUT_MS,
      batch: { windowMs: config.DELIVERY_BATCH_MS, maxBatch: config.DELIVERY_BATCH_MAX },
      membersIntervalMs: config.MEMBERS_INTERVAL_MS,
      membersFullListMax: config.MEMBERS_FULL_LIST_MAX,
    },
    adapter: redisAdapterFor(adapters, (err) => ctx.logger.warn({ err }, 'socket.io adapter subscription refused')),
    parser: parserFor(config.SOCKET_PARSER),
  });
}

/**
 * Graceful stop shared by socket-serving nodes: report not-ready, hand clients
 * off (they reconnect through the load balancer), commit pending writes,
 * remove what presence this node still holds, then disconnect.
 */
export async function drainAndClose(ctx: NodeContext, gateway: SocketGateway): Promise<void> {
  ctx.setDraining();
  await gateway.disconnectAll();
  await ctx.chat.close().catch((err: unknown) => ctx.logger.warn({ err }, 'final commit failed'));
  const leftovers = await ctx.adapters.presence.removeOwnConnections().catch(() => []);
  if (leftovers.length > 0) ctx.logger.info({ count: leftovers.length }, 'removed leftover presence');
  await gateway.close();
  await ctx.shutdown();
}

/** A socket-only node: socket.io plus /healthz and /readyz (/metrics is on the internal listener). */
export async function startSocketNode(
  env: Record<string, string | undefined>,
): Promise<RunningNode & { ctx: NodeContext; io: SocketGateway['io']; metricsUrl: string }> {
  const ctx = await bootNode(env, 'socket');
  const ops = createOpsHandler({ ready: ctx.ready, draining: ctx.draining, registry: ctx.metrics.registry });
  const server = http.createServer((req, res) => {
    if (ops(req, res)) return;
    // socket.io answers its own path before this handler runs; everything else is not ours.
    if (!res.headersSent && !(req.url ?? '').startsWith('/socket.io')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'No such route.' } }));
    }
  });
  const gateway = gatewayFor(server, ctx);
  const port = await listen(server, ctx.config.PORT, ctx.config.HOST);
  let closing: Promise<void> | undefined;
  return {
    ctx,
    io: gateway.io,
    url: urlFor(ctx.config.HOST, port),
    port,
    nodeId: ctx.config.nodeId,
    metricsUrl: ctx.metricsUrl,
    close: () => (closing ??= drainAndClose(ctx, gateway)),
  };
}
