/**
 * Prints the compose load balancer config. Regenerate the committed file with
 *   node --import tsx deploy/haproxy/render.ts > deploy/haproxy/haproxy.compose.cfg
 */
import { COMPOSE_LB_OPTIONS, renderHaproxyConfig } from './config';

process.stdout.write(renderHaproxyConfig(COMPOSE_LB_OPTIONS));
