export { createLogger, silentLogger } from './logger';
export type { Logger } from './logger';
export { createMetrics } from './metrics';
export type { Metrics } from './metrics';
export { createOpsHandler } from './ops-handler';
export type { OpsDeps } from './ops-handler';
