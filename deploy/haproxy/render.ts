/**
 * Prints a committed load balancer config. Regenerate them with
 *   node --import tsx deploy/haproxy/render.ts compose > deploy/haproxy/haproxy.compose.cfg
 *   node --import tsx deploy/haproxy/render.ts tls > deploy/haproxy/haproxy.tls.example.cfg
 */
import { COMPOSE_LB_OPTIONS, TLS_EXAMPLE_LB_OPTIONS, renderHaproxyConfig } from './config';
import type { LbOptions } from './config';

const CONFIGS: Record<string, LbOptions> = { compose: COMPOSE_LB_OPTIONS, tls: TLS_EXAMPLE_LB_OPTIONS };

const name = process.argv[2] ?? 'compose';
const opts = CONFIGS[name];
if (!opts) {
  process.stderr.write(`usage: render.ts <${Object.keys(CONFIGS).join('|')}>\n`);
  process.exit(2);
}
process.stdout.write(renderHaproxyConfig(opts));
