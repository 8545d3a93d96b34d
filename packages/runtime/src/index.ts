export { loadConfig, ENV_VARS, DEFAULT_PORT } from './config';
export type { Config, Env } from './config';
export { openInfrastructure } from './infrastructure';
export type { Infrastructure, RedisClient } from './infrastructure';
export { loadOrCreateTokenSecret } from './token-secret';
export { bootNode, listen, urlFor, exitOnSignal } from './node';
export type { NodeContext, NodeRole, RunningNode } from './node';
