import { exitOnSignal } from '@chat/runtime';
import { startStandalone } from './standalone';

/** `pnpm start`: the whole product in one process. The only place that reads the environment. */
async function main(): Promise<void> {
  const node = await startStandalone(process.env);
  const { config, logger } = node.ctx;
  const store = config.MYSQL_URL ? 'MySQL' : `SQLite in ${config.DATA_DIR}`;
  const mode = config.clustered ? 'Redis presence and bus' : 'in-memory presence and bus';
  logger.info({ url: node.url, nodeId: node.nodeId }, 'chat server listening');
  process.stdout.write(`\nChat server ready at ${node.url}  (${store}, ${mode})\n\n`);
  exitOnSignal(node, logger, config.SHUTDOWN_GRACE_MS);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
