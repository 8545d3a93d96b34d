import http from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatService } from '@chat/chat';
import type { ChatService } from '@chat/chat';
import { createLogger, createMetrics, createOpsHandler } from '@chat/observability';
import type { Logger, Metrics } from '@chat/observability';
import { loadConfig } from './config';
import type { Config } from './config';
import { openAdapters } from './adapters';
import type { Adapters } from './adapters';
import { chatObserver } from './observer';
import { cachedReadiness } from './readiness';

export type NodeRole = 'api' | 'socket' | 'standalone';

/** What every kind of node starts with: validated config, logger, metrics, its adapters and the chat domain on them. */
export interface NodeContext {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  adapters: Adapters;
  chat: ChatService;
  /** Store and Redis answer; asked at most once a second however often the probes come. */
  ready: () => Promise<boolean>;
  draining: () => boolean;
  setDraining: () => void;
  /** Where /metrics is served (the internal listener), e.g. http://127.0.0.1:9464. */
  metricsUrl: string;
  /** Commits what the domain holds, then closes the adapters and the internal listener. Idempotent. */
  shutdown(): Promise<void>;
}

export async function bootNode(env: Record<string, string | undefined>, role: NodeRole): Promise<NodeContext> {
  const config = loadConfig(env);
  const logger = createLogger({ nodeId: config.nodeId, level: config.LOG_LEVEL });
  const metrics = createMetrics({ nodeId: config.nodeId, role });
  const adapters = await openAdapters(config, { logger, metrics });
  const chat = createChatService({
    store: adapters.store,
    presence: adapters.presence,
    seq: adapters.seq,
    publisher: adapters.bus,
    tokens: adapters.tokens,
    ...(adapters.appTokens ? { appTokens: adapters.appTokens } : {}),
    limits: adapters.limits,
    groupCommit: config.GROUP_COMMIT
      ? { maxDelayMs: config.GROUP_COMMIT_MAX_DELAY_MS, maxBatch: config.GROUP_COMMIT_MAX_BATCH, concurrency: config.GROUP_COMMIT_CONCURRENCY }
      : { maxDelayMs: 0, maxBatch: 1, concurrency: 16 },
    guestSessions: config.GUEST_SESSIONS,
    announceMaxMembers: config.ANNOUNCE_MAX_MEMBERS,
    observer: chatObserver(logger, metrics),
  });
  let draining = false;
  const ready = cachedReadiness(adapters.ready, 1000);
  // /metrics (and the probes) on an internal listener: never reachable through the public port.
  const opsHandler = createOpsHandler({ ready, draining: () => draining, registry: metrics.registry, metrics: true });
  const ops = http.createServer((req, res) => {
    if (!opsHandler(req, res)) res.writeHead(404).end();
  });
  const opsPort = await listen(ops, config.METRICS_PORT, config.METRICS_HOST);
  let stopping: Promise<void> | undefined;
  return {
    config,
    logger,
    metrics,
    adapters,
    chat,
    ready,
    draining: () => draining,
    setDraining: () => void (draining = true),
    metricsUrl: urlFor(config.METRICS_HOST, opsPort),
    shutdown() {
      stopping ??= (async () => {
        await chat.close().catch((err: unknown) => logger.warn({ err }, 'final commit failed'));
        await adapters.close();
        await new Promise<void>((resolve) => ops.close(() => resolve()));
        metrics.stopLoopMetrics();
      })();
      return stopping;
    },
  };
}

/** A running node as its main.ts and the tests see it. */
export interface RunningNode {
  url: string;
  port: number;
  nodeId: string;
  /** Graceful: stop accepting, hand clients off, commit pending writes, drop presence, disconnect. Idempotent. */
  close(): Promise<void>;
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function urlFor(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${shown}:${port}`;
}

/**
 * Runs `close` on SIGTERM/SIGINT and exits; if it takes longer than the grace
 * period the process exits anyway (orchestrators kill at ~10 s).
 */
export function exitOnSignal(node: RunningNode, logger: Logger, graceMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, graceMs);
    force.unref();
    node.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
