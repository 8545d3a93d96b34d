import fs from 'node:fs';
import path from 'node:path';
import { DEPLOY, PROBE_PATHS, run } from './support/repo';

const DIR = path.join(DEPLOY, 'haproxy');
jest.setTimeout(60_000);

const CONFIGS = fs.readdirSync(DIR).filter((f) => f.endsWith('.cfg'));

describe('deploy/haproxy', () => {
  it('has configs', () => {
    expect(CONFIGS).toContain('haproxy.compose.cfg');
  });

  it.each(CONFIGS)('%s passes haproxy -c', async (file) => {
    const res = await run('haproxy', ['-c', '-f', path.join(DIR, file)]);
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
});
