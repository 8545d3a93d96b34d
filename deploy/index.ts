/** @chat/deploy: the load balancer configuration generator and the nodes' V8 flags (the rest of deploy/ is files, checked by deploy/test). */
export {
  renderHaproxyConfig,
  COMPOSE_LB_OPTIONS,
  TLS_EXAMPLE_LB_OPTIONS,
  TLS_EXAMPLE_CERT,
  PRODUCTION_SOURCE_LIMITS,
  HEALTH,
  SOCKET_PATH_PREFIX,
  METRICS_PATH,
  STATS_BIND,
} from './haproxy/config';
export type { LbOptions, LbServer, StaticLbOptions, DnsLbOptions, SourceLimits, TlsOptions } from './haproxy/config';
export { NODE_FLAGS } from './node/flags';
