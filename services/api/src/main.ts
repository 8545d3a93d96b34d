import { exitOnSignal } from '@chat/runtime';
import { startApiNode } from './node';

/** API node entry point: the only place that reads the environment. */
async function main(): Promise<void> {
  const node = await startApiNode(process.env);
  node.ctx.logger.info({ url: node.url, nodeId: node.nodeId }, 'api node listening');
  exitOnSignal(node, node.ctx.logger, node.ctx.config.SHUTDOWN_GRACE_MS);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
