/**
 * Starts the built API and socket nodes (`pnpm build`; `pnpm test` builds
 * first) behind HAProxy (needs MariaDB and Redis on 127.0.0.1 like the rest
 * of the suite, and `haproxy` on PATH).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MYSQL_ROOT_URL, REDIS_URL, dropRedisKeys } from '@chat/testkit';
import { NODE_FLAGS } from '@chat/deploy';
import { LaunchError, startCluster, type Cluster, type NodeHandle } from '../src';
import { httpGet, pollUntil } from '../src/wait';

// Generous: several nodes start at once on a busy 2-core machine.
jest.setTimeout(600_000);

describe('devcluster launcher without a build', () => {
  it('refuses to start and says to run pnpm build', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'devcluster-nobuild-'));
    try {
      const started = startCluster({ socketNodes: 1, apiNodes: 1, port: 0, cwd: empty });
      await expect(started).rejects.toThrow(LaunchError);
      await expect(started).rejects.toThrow(/dist\/api\/main\.js does not exist: .*run `pnpm build` first/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('devcluster launcher', () => {
  let cluster: Cluster;
  const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devcluster-prof-'));
  // Own key namespace so this cluster cannot see other suites' rooms and nodes.
  const prefix = `devcluster-${process.pid}-${Date.now() % 1e6}`;

  beforeAll(async () => {
    cluster = await startCluster({
      socketNodes: 2,
      apiNodes: 1,
      port: 0,
      readyTimeoutMs: 240_000,
      // What `pnpm cluster --cpu-prof DIR` passes: checked below, after a graceful stop.
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
      // The test MariaDB and Redis (TEST_MYSQL_URL, TEST_REDIS_URL), not the launcher's local defaults.
      env: { MYSQL_URL: MYSQL_ROOT_URL, REDIS_URL, REDIS_KEY_PREFIX: prefix },
      // Lets a smoke run point at another checkout; normally the repository root.
      ...(process.env.DEVCLUSTER_TEST_CWD ? { cwd: process.env.DEVCLUSTER_TEST_CWD } : {}),
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    fs.rmSync(profDir, { recursive: true, force: true });
    await dropRedisKeys(REDIS_URL, prefix);
  });

  it('starts every node and the load balancer', async () => {
    expect(cluster.nodes.map((n) => n.kind).sort()).toEqual(['api', 'socket', 'socket']);
    const lb = await httpGet(`${cluster.url}/healthz`);
    expect(lb.status).toBe(200);
    for (const n of cluster.nodes) expect((await httpGet(`${n.url}/healthz`)).status).toBe(200);
  });

  it('runs the built nodes with the product V8 flags, each with its own internal metrics port, trusting one proxy hop', () => {
    const metricsPorts = new Set<string>();
    for (const n of cluster.nodes) {
      const env = processEnv(n.pid);
      const cmdline = fs.readFileSync(`/proc/${n.pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline).toContain(`dist/${n.kind}/main.js`);
      expect(cmdline).toEqual(expect.arrayContaining([...NODE_FLAGS]));
      expect(cmdline.join(' ')).not.toContain('tsx');
      expect(n.metricsUrl).toBe(`http://127.0.0.1:${env.METRICS_PORT}`);
      expect(env.METRICS_HOST).toBe('127.0.0.1');
      expect(env.METRICS_PORT).not.toBe(String(n.port));
      expect(env.TRUST_PROXY_HOPS).toBe('1');
      metricsPorts.add(env.METRICS_PORT ?? '');
    }
    expect(metricsPorts.size).toBe(cluster.nodes.length);
  });

  it('the load balancer refuses /metrics', async () => {
    for (const p of ['/metrics', '/metrics?x=1', '/metrics/']) expect((await httpGet(`${cluster.url}${p}`)).status).toBe(403);
  });

  it('routes /readyz to an API node and /socket.io/ to socket nodes', async () => {
    expect((await httpGet(`${cluster.url}/readyz`)).status).toBe(200);
    const servers = await cluster.lbServers();
    const api = cluster.nodes.filter((n) => n.kind === 'api').map((n) => n.id);
    const socket = cluster.nodes.filter((n) => n.kind === 'socket').map((n) => n.id);
    expect(
      servers
        .filter((s) => s.backend === 'be_api')
        .map((s) => s.server)
        .sort(),
    ).toEqual(api.sort());
    expect(
      servers
        .filter((s) => s.backend === 'be_socket')
        .map((s) => s.server)
        .sort(),
    ).toEqual(socket.sort());
    // A socket.io polling handshake through the LB gets the affinity cookie naming a socket node.
    const hs = await httpGet(`${cluster.url}/socket.io/?EIO=4&transport=polling`);
    expect(hs.status).toBe(200);
    const cookie = (hs.headers['set-cookie'] ?? []).join(';');
    expect(socket.some((id) => cookie.includes(`SRV=${id}`))).toBe(true);
  });

  it('takes a SIGKILLed socket node out of rotation', async () => {
    const victim = cluster.nodes.find((n) => n.kind === 'socket') as NodeHandle;
    const code = await cluster.kill(victim.id, 'SIGKILL');
    expect(code).toBeNull();
    expect(cluster.nodes.map((n) => n.id)).not.toContain(victim.id);
    await pollUntil(
      `haproxy marks ${victim.id} DOWN`,
      async () => ((await cluster.lbServers()).find((s) => s.server === victim.id)?.status === 'DOWN' ? true : undefined),
      { timeoutMs: 10_000 },
    );
    // New socket.io handshakes all land on the survivor.
    const survivor = cluster.nodes.find((n) => n.kind === 'socket') as NodeHandle;
    for (let i = 0; i < 4; i++) {
      const hs = await httpGet(`${cluster.url}/socket.io/?EIO=4&transport=polling`);
      expect(hs.status).toBe(200);
      expect((hs.headers['set-cookie'] ?? []).join(';')).toContain(`SRV=${survivor.id}`);
    }
  });

  it('adds a replica and reloads the load balancer', async () => {
    const added = await cluster.start('socket');
    const state = (await cluster.lbServers()).find((s) => s.server === added.id);
    expect(state).toEqual({ backend: 'be_socket', server: added.id, status: 'UP' });
    expect((await httpGet(`${cluster.url}/healthz`)).status).toBe(200);
  });

  it('stops idempotently', async () => {
    const pids = cluster.nodes.map((n) => n.pid);
    await Promise.all([cluster.stop(), cluster.stop()]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(isAlive(cluster.haproxyPid)).toBe(false);
    // Every node stopped gracefully wrote its CPU profile (named with its pid).
    const profiles = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    for (const pid of pids) expect(profiles.some((f) => f.includes(`.${pid}.`))).toBe(true);
  });
});

/** A running process's environment, from /proc. */
function processEnv(pid: number): Record<string, string> {
  const raw = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
