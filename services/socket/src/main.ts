import { exitOnSignal } from '@chat/runtime';
import { startSocketNode } from './node';

/** Socket node entry point: the only place that reads the environment. */
async function main(): Promise<void> {
  const node = await startSocketNode(process.env);
  node.ctx.logger.info({ url: node.url, nodeId: node.nodeId }, 'socket node listening');
  exitOnSignal(node, node.ctx.logger, node.ctx.config.SHUTDOWN_GRACE_MS);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
