import { startReferenceNode } from './server';

/** A reference node as the launcher starts it (PORT, HOST, MYSQL_URL, REDIS_URL, REDIS_KEY_PREFIX, TOKEN_SECRET). */
async function main(): Promise<void> {
  const env = process.env;
  const node = await startReferenceNode({
    port: Number(env.PORT ?? 0),
    host: env.HOST ?? '127.0.0.1',
    mysqlUrl: env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: env.REDIS_KEY_PREFIX ?? 'ref',
    secret: env.TOKEN_SECRET ?? 'reference-secret',
    ...(env.REFERENCE_HISTORY_TABLE ? { historyTable: env.REFERENCE_HISTORY_TABLE } : {}),
  });
  process.stdout.write(`reference node listening at ${node.url}\n`);
  const stop = () => void node.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
