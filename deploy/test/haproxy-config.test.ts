import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPOSE_LB_OPTIONS, PRODUCTION_SOURCE_LIMITS, TLS_EXAMPLE_CERT, TLS_EXAMPLE_LB_OPTIONS, renderHaproxyConfig } from '../index';
import type { LbOptions, StaticLbOptions } from '../index';
import { run } from './support/repo';
import { selfSignedPem } from './support/tls';

const COMPOSE_CFG = path.resolve(__dirname, '../haproxy/haproxy.compose.cfg');
const TLS_CFG = path.resolve(__dirname, '../haproxy/haproxy.tls.example.cfg');

jest.setTimeout(60_000);

/** `haproxy -c` on a file: its output when valid; throws otherwise. */
async function checkHaproxyConfig(file: string): Promise<string> {
  const res = await run('haproxy', ['-c', '-f', file]);
  // `pnpm test` installs it first (scripts/ensure-test-tools.sh); a missing binary is a failure, not a skip.
  if (res.missing) throw new Error('haproxy is not installed (apt-get install -y haproxy)');
  if (res.code !== 0) throw new Error(`${res.stdout}${res.stderr}`);
  return `${res.stdout}${res.stderr}`;
}

const STATIC: StaticLbOptions = {
  mode: 'static',
  bindHost: '127.0.0.1',
  bindPort: 8080,
  api: [{ name: 'api-1', host: '127.0.0.1', port: 9001 }],
  socket: [{ name: 'socket-1', host: '127.0.0.1', port: 9002 }],
};

/** The lines of one section (`frontend fe_http`, `global`, ...), indentation dropped. */
function section(cfg: string, header: string): string[] {
  const lines = cfg.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no section "${header}"`);
  const end = lines.findIndex((l, i) => i > start && l !== '' && !l.startsWith(' '));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Every mode and option combination the generator renders. */
const VARIANTS: Array<[string, LbOptions]> = [
  ['static (the dev launcher)', STATIC],
  ['static with limits', { ...STATIC, limits: { maxConnections: 50, maxRequests: 20, windowSec: 5 } }],
  ['static with TLS', { ...STATIC, tls: { bindPort: 8443, certFile: '/x/chat.pem', hstsMaxAgeSec: 600 } }],
  ['compose (dns)', COMPOSE_LB_OPTIONS],
  ['TLS example (dns)', TLS_EXAMPLE_LB_OPTIONS],
];

describe('haproxy config generator', () => {
  it('the committed compose config is the generator output (regenerate with deploy/haproxy/render.ts compose)', () => {
    expect(fs.readFileSync(COMPOSE_CFG, 'utf8')).toBe(renderHaproxyConfig(COMPOSE_LB_OPTIONS));
  });

  it('the committed TLS example is the generator output (regenerate with deploy/haproxy/render.ts tls)', () => {
    expect(fs.readFileSync(TLS_CFG, 'utf8')).toBe(renderHaproxyConfig(TLS_EXAMPLE_LB_OPTIONS));
  });

  it('routes /socket.io/ to the socket backend with cookie affinity and no source hashing', () => {
    const cfg = renderHaproxyConfig(STATIC);
    expect(cfg).toContain('use_backend be_socket if is_socketio');
    expect(cfg).toContain('acl is_socketio path_beg /socket.io/');
    expect(cfg).toContain('cookie SRV insert indirect nocache');
    expect(cfg).toContain('timeout tunnel 1h');
    expect(cfg).toContain('option httpchk GET /readyz');
    // A live node starved of CPU for a second must stay in rotation (the check's read timeout is not `inter`).
    expect(cfg).toContain('timeout check 5s');
    expect(cfg).not.toMatch(/balance source|hash-type/);
    expect(cfg).toContain('server socket-1 127.0.0.1:9002 check cookie socket-1');
  });

  it('runs one thread beside the nodes on the launcher, and one per core on a load balancer host of its own', () => {
    const local = renderHaproxyConfig({ mode: 'static', bindHost: '127.0.0.1', bindPort: 8080, api: [], socket: [] });
    expect(local).toMatch(/^global\n(?: {2}.*\n)* {2}nbthread 1\n/m);
    expect(renderHaproxyConfig(COMPOSE_LB_OPTIONS)).not.toContain('nbthread');
  });

  it.each(VARIANTS)('%s: X-Forwarded-For is replaced by the client address, never appended to', (_name, opts) => {
    const cfg = renderHaproxyConfig(opts);
    // `option forwardfor` appends to whatever the client sent, so a node counting hops would trust a forged address.
    expect(cfg).not.toMatch(/option\s+forwardfor/);
    expect(section(cfg, 'frontend fe_http')).toContain('http-request set-header X-Forwarded-For %[src]');
    expect(cfg).not.toMatch(/add-header X-Forwarded-For/);
  });

  it.each(VARIANTS)('%s: /metrics is refused at the frontend before any routing', (_name, opts) => {
    const fe = section(renderHaproxyConfig(opts), 'frontend fe_http');
    const deny = fe.indexOf('http-request deny if { path_beg /metrics }');
    expect(deny).toBeGreaterThanOrEqual(0);
    expect(deny).toBeLessThan(fe.findIndex((l) => l.startsWith('use_backend')));
    // Before the redirect too: plain-HTTP /metrics is refused, not sent to HTTPS.
    const redirect = fe.findIndex((l) => l.startsWith('http-request redirect'));
    if (redirect >= 0) expect(deny).toBeLessThan(redirect);
  });

  it('per-source limits: a stick table on the client address with the given connection and request-rate caps', () => {
    const fe = section(renderHaproxyConfig({ ...STATIC, limits: { maxConnections: 50, maxRequests: 20, windowSec: 5, tableSize: '1m' } }), 'frontend fe_http');
    expect(fe).toContain('stick-table type ipv6 size 1m expire 30s store conn_cur,http_req_rate(5s)');
    expect(fe).toContain('tcp-request connection track-sc0 src');
    expect(fe).toContain('tcp-request connection reject if { sc0_conn_cur gt 50 }');
    expect(fe).toContain('http-request deny deny_status 429 if { sc0_http_req_rate gt 20 }');
    // Tracking comes before the rules that read the counters.
    expect(fe.indexOf('tcp-request connection track-sc0 src')).toBeLessThan(fe.indexOf('tcp-request connection reject if { sc0_conn_cur gt 50 }'));
    // The table outlives a long window.
    expect(section(renderHaproxyConfig({ ...STATIC, limits: { maxConnections: 1, maxRequests: 1, windowSec: 60 } }), 'frontend fe_http')).toContain(
      'stick-table type ipv6 size 100k expire 120s store conn_cur,http_req_rate(60s)',
    );
  });

  it('the dev launcher (static, no limits) throttles nothing; compose gets the production limits', () => {
    const local = renderHaproxyConfig(STATIC);
    expect(local).not.toMatch(/stick-table|track-sc|sc0_|deny_status 429/);
    expect(PRODUCTION_SOURCE_LIMITS).toEqual({ maxConnections: 200, maxRequests: 100, windowSec: 10 });
    const fe = section(renderHaproxyConfig(COMPOSE_LB_OPTIONS), 'frontend fe_http');
    expect(fe).toContain('tcp-request connection reject if { sc0_conn_cur gt 200 }');
    expect(fe).toContain('http-request deny deny_status 429 if { sc0_http_req_rate gt 100 }');
    expect(fe).toContain('stick-table type ipv6 size 100k expire 30s store conn_cur,http_req_rate(10s)');
  });

  it('the stats page listens on loopback only', () => {
    const stats = section(renderHaproxyConfig(COMPOSE_LB_OPTIONS), 'frontend stats');
    expect(stats).toContain('bind 127.0.0.1:8404');
    for (const opts of VARIANTS.map(([, o]) => o)) {
      const binds = [...renderHaproxyConfig(opts).matchAll(/^\s*bind (\S+)/gm)].map((m) => m[1]!);
      for (const b of binds.filter((x) => x.endsWith(':8404'))) expect(b).toBe('127.0.0.1:8404');
    }
    // The launcher reads server states over its admin socket (mode 600), not a stats page.
    expect(renderHaproxyConfig({ ...STATIC, statsSocket: '/tmp/x.sock' })).not.toContain('frontend stats');
  });

  it('TLS: terminates on its own port, redirects plain HTTP, tells nodes https and sends HSTS', () => {
    const plain = renderHaproxyConfig(STATIC);
    expect(plain).not.toMatch(/ssl|Strict-Transport-Security|redirect/);
    expect(section(plain, 'frontend fe_http')).toContain('http-request set-header X-Forwarded-Proto http');
    const cfg = renderHaproxyConfig({ ...STATIC, tls: { bindPort: 8443, certFile: '/etc/x/chat.pem', hstsMaxAgeSec: 600 } });
    const fe = section(cfg, 'frontend fe_http');
    expect(fe).toContain('bind 127.0.0.1:8080');
    expect(fe).toContain('bind 127.0.0.1:8443 ssl crt /etc/x/chat.pem');
    expect(fe).toContain('http-request redirect scheme https code 301 unless { ssl_fc }');
    expect(fe).toContain('http-request set-header X-Forwarded-Proto https');
    expect(fe).not.toContain('http-request set-header X-Forwarded-Proto http');
    expect(fe).toContain('http-response set-header Strict-Transport-Security "max-age=600"');
    expect(section(cfg, 'global')).toContain('ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets');
    const example = section(renderHaproxyConfig(TLS_EXAMPLE_LB_OPTIONS), 'frontend fe_http');
    expect(example).toContain(`bind :8443 ssl crt ${TLS_EXAMPLE_CERT}`);
    expect(example).toContain('http-response set-header Strict-Transport-Security "max-age=31536000"');
  });

  it('renders configs haproxy accepts, TLS ones with a throw-away self-signed certificate', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-cfg-test-'));
    try {
      const pem = await selfSignedPem(dir);
      const variants: Array<[string, LbOptions]> = [
        [
          'static',
          {
            ...STATIC,
            bindPort: 18080,
            api: [],
            socket: [
              { name: 'socket-1', host: '127.0.0.1', port: 9002 },
              { name: 'socket-2', host: '127.0.0.1', port: 9003 },
            ],
            statsSocket: path.join(dir, 's.sock'),
          },
        ],
        ['static-limits-tls', { ...STATIC, bindPort: 18080, limits: PRODUCTION_SOURCE_LIMITS, tls: { bindPort: 18443, certFile: pem, hstsMaxAgeSec: 600 } }],
        ['compose', COMPOSE_LB_OPTIONS],
        ['tls-example', { ...TLS_EXAMPLE_LB_OPTIONS, tls: { ...TLS_EXAMPLE_LB_OPTIONS.tls!, certFile: pem } }],
      ];
      for (const [name, opts] of variants) {
        const file = path.join(dir, `${name}.cfg`);
        fs.writeFileSync(file, renderHaproxyConfig(opts));
        await expect(checkHaproxyConfig(file)).resolves.toContain('valid');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
