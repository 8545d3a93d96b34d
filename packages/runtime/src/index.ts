export { loadConfig, ENV_VARS, DEFAULT_PORT } from './config';
export type { Config, Env } from './config';
export { openAdapters } from './adapters';
export type { Adapters, RedisClient } from './adapters';
export { loadOrCreateTokenSecret } from './token-secret';
export { bootNode, listen, urlFor, exitOnSignal } from './node';
export type { NodeContext, NodeRole, RunningNode } from './node';
export { clientAddress, addressKey } from './client-address';
export { chatObserver } from './observer';
