/** @chat/deploy: the load balancer configuration generator (the rest of deploy/ is files, checked by deploy/test). */
export { renderHaproxyConfig, COMPOSE_LB_OPTIONS, HEALTH, SOCKET_PATH_PREFIX } from './haproxy/config';
export type { LbOptions, LbServer, StaticLbOptions, DnsLbOptions } from './haproxy/config';
