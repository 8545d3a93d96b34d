import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPOSE_LB_OPTIONS, renderHaproxyConfig } from '../index';
import { run } from './support/repo';

const COMPOSE_CFG = path.resolve(__dirname, '../haproxy/haproxy.compose.cfg');

/** `haproxy -c` on a file: its output when valid; throws otherwise. */
async function checkHaproxyConfig(file: string): Promise<string> {
  const res = await run('haproxy', ['-c', '-f', file]);
  // `pnpm test` installs it first (scripts/ensure-test-tools.sh); a missing binary is a failure, not a skip.
  if (res.missing) throw new Error('haproxy is not installed (apt-get install -y haproxy)');
  if (res.code !== 0) throw new Error(`${res.stdout}${res.stderr}`);
  return `${res.stdout}${res.stderr}`;
}

describe('haproxy config generator', () => {
  it('the committed compose config is the generator output (regenerate with deploy/haproxy/render.ts)', () => {
    expect(fs.readFileSync(COMPOSE_CFG, 'utf8')).toBe(renderHaproxyConfig(COMPOSE_LB_OPTIONS));
  });

  it('routes /socket.io/ to the socket backend with cookie affinity and no source hashing', () => {
    const cfg = renderHaproxyConfig({
      mode: 'static',
      bindHost: '127.0.0.1',
      bindPort: 8080,
      api: [{ name: 'api-1', host: '127.0.0.1', port: 9001 }],
      socket: [{ name: 'socket-1', host: '127.0.0.1', port: 9002 }],
    });
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
    expect(local).toMatch(/^global\n(?:  .*\n)*  nbthread 1\n/m);
    expect(renderHaproxyConfig(COMPOSE_LB_OPTIONS)).not.toContain('nbthread');
  });

  it('renders configs haproxy accepts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-cfg-test-'));
    try {
      const file = path.join(dir, 'static.cfg');
      fs.writeFileSync(
        file,
        renderHaproxyConfig({
          mode: 'static',
          bindHost: '127.0.0.1',
          bindPort: 18080,
          api: [],
          socket: [
            { name: 'socket-1', host: '127.0.0.1', port: 9002 },
            { name: 'socket-2', host: '127.0.0.1', port: 9003 },
          ],
          statsSocket: path.join(dir, 's.sock'),
        }),
      );
      await expect(checkHaproxyConfig(file)).resolves.toContain('valid');
      await expect(checkHaproxyConfig(COMPOSE_CFG)).resolves.toContain('valid');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
