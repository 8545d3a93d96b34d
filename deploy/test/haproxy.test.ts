import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEPLOY, PROBE_PATHS, run } from './support/repo';
import { selfSignedPem, withCert } from './support/tls';

const DIR = path.join(DEPLOY, 'haproxy');
jest.setTimeout(60_000);

const CONFIGS = fs.readdirSync(DIR).filter((f) => f.endsWith('.cfg'));

describe('deploy/haproxy', () => {
  let tmp: string;
  let pem: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-committed-'));
    pem = await selfSignedPem(tmp);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('has configs', () => {
    expect(CONFIGS).toEqual(expect.arrayContaining(['haproxy.compose.cfg', 'haproxy.tls.example.cfg']));
  });

  // A config that terminates TLS names a certificate that exists only where it is deployed:
  // it is checked with a throw-away self-signed one in its place.
  it.each(CONFIGS)('%s passes haproxy -c', async (file) => {
    const checked = path.join(tmp, file);
    fs.writeFileSync(checked, withCert(fs.readFileSync(path.join(DIR, file), 'utf8'), pem));
    const res = await run('haproxy', ['-c', '-f', checked]);
    if (res.missing) throw new Error('haproxy is not installed (apt-get install -y haproxy)');
    expect(`${res.stdout}${res.stderr}`).toContain('Configuration file is valid');
    expect(res.code).toBe(0);
  });

  it.each(CONFIGS)('%s routes socket.io separately, checks readiness and tunnels WebSockets', (file) => {
    const cfg = fs.readFileSync(path.join(DIR, file), 'utf8');
    expect(cfg).toContain('path_beg /socket.io/');
    expect(cfg).toContain(`option httpchk GET ${PROBE_PATHS.ready}`);
    expect(cfg).toMatch(/timeout tunnel 1h/);
    expect(cfg).toMatch(/cookie SRV insert indirect nocache/);
    expect(cfg).not.toMatch(/balance source/);
  });

  it.each(CONFIGS)('%s replaces X-Forwarded-For, refuses /metrics, limits each source and keeps stats on loopback', (file) => {
    const cfg = fs.readFileSync(path.join(DIR, file), 'utf8');
    expect(cfg).not.toContain('option forwardfor');
    expect(cfg).toContain('http-request set-header X-Forwarded-For %[src]');
    expect(cfg).toContain('http-request deny if { path_beg /metrics }');
    expect(cfg).toContain('tcp-request connection track-sc0 src');
    expect(cfg).toMatch(/http-request deny deny_status 429 if \{ sc0_http_req_rate gt \d+ \}/);
    for (const bind of cfg.matchAll(/^\s*bind (\S+)/gm)) if (bind[1]!.endsWith(':8404')) expect(bind[1]).toBe('127.0.0.1:8404');
  });
});
