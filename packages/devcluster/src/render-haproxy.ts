/**
 * Prints the compose load balancer config. Regenerate the committed file with
 *   node --import tsx packages/devcluster/src/render-haproxy.ts > deploy/haproxy/haproxy.compose.cfg
 */
import { COMPOSE_LB_OPTIONS, renderHaproxyConfig } from './haproxy-config';

process.stdout.write(renderHaproxyConfig(COMPOSE_LB_OPTIONS));
