import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createMetrics } from '@chat/observability';
import type { Logger, Metrics } from '@chat/observability';
import { loadConfig } from './config';
import type { Config } from './config';
import { openInfrastructure } from './infrastructure';
import type { Infrastructure } from './infrastructure';

export type NodeRole = 'api' | 'socket' | 'standalone';

/** What every kind of node starts with: validated config, logger, metrics, connected infrastructure. */
export interface NodeContext {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  infra: Infrastructure;
  draining: () => boolean;
  setDraining: () => void;
}

export async function bootNode(env: Record<string, string | undefined>, role: NodeRole): Promise<NodeContext> {
  const config = loadConfig(env);
  const logger = createLogger({ nodeId: config.nodeId, level: config.LOG_LEVEL });
  const metrics = createMetrics({ nodeId: config.nodeId, role });
  const infra = await openInfrastructure(config, { logger, metrics });
  let draining = false;
  return { config, logger, metrics, infra, draining: () => draining, setDraining: () => void (draining = true) };
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
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
