/**
 * The generated load balancer config on a real HAProxy, in front of a stub
 * backend that records what reaches it: what a node behind the load balancer
 * sees of the client address, /metrics refused at the door, the per-source
 * caps, TLS termination, and that the launcher's config throttles nothing.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { renderHaproxyConfig } from '@chat/deploy';
import type { SourceLimits, TlsOptions } from '@chat/deploy';
import { HaproxyProcess } from '../src/haproxy';
import { freePort } from '../src/ports';
import { httpGet, pollUntil } from '../src/wait';

jest.setTimeout(60_000);

interface Seen {
  path: string;
  xff: string | undefined;
  proto: string | undefined;
}

/** A backend answering 200 to everything (health checks included) and recording each request but the checks. */
async function startStub(): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    if (req.url !== '/readyz') {
      const h = (name: string) => (Array.isArray(req.headers[name]) ? (req.headers[name] as string[]).join(', ') : (req.headers[name] as string | undefined));
      seen.push({ path: req.url ?? '', xff: h('x-forwarded-for'), proto: h('x-forwarded-proto') });
    }
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Lb {
  url: string;
  httpsUrl?: string;
  stub: Awaited<ReturnType<typeof startStub>>;
  stop(): Promise<void>;
}

/** HAProxy in static mode (as the launcher renders it) with the stub as its API node. */
async function startLb(opts: { limits?: SourceLimits; tls?: Omit<TlsOptions, 'bindPort'> } = {}): Promise<Lb> {
  const stub = await startStub();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-behaviour-'));
  const bindPort = await freePort();
  const tls = opts.tls ? { ...opts.tls, bindPort: await freePort() } : undefined;
  const statsSocket = path.join(dir, 'haproxy.sock');
  let lb: HaproxyProcess | undefined;
  try {
    lb = await HaproxyProcess.start({
      dir,
      statsSocket,
      logFile: path.join(dir, 'haproxy.log'),
      timeoutMs: 20_000,
      config: renderHaproxyConfig({
        mode: 'static',
        bindHost: '127.0.0.1',
        bindPort,
        api: [{ name: 'api-1', host: '127.0.0.1', port: stub.port }],
        socket: [],
        statsSocket,
        ...(opts.limits ? { limits: opts.limits } : {}),
        ...(tls ? { tls } : {}),
      }),
    });
    const started = lb;
    await pollUntil('stub UP', async () => ((await started.servers()).some((s) => s.status === 'UP') ? true : undefined), { timeoutMs: 20_000 });
  } catch (err) {
    await lb?.stop();
    await stub.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const started = lb;
  return {
    url: `http://127.0.0.1:${bindPort}`,
    ...(tls ? { httpsUrl: `https://127.0.0.1:${tls.bindPort}` } : {}),
    stub,
    async stop() {
      await started.stop();
      await stub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A connection holding one answered keep-alive request open; resolves once HAProxy has served it. */
function heldConnection(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname, () => sock.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.once('data', (d: Buffer) => (d.toString().startsWith('HTTP/1.1 200') ? resolve(sock) : reject(new Error(d.toString()))));
    sock.once('error', reject);
  });
}

function selfSignedPem(dir: string): Promise<string> {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  return new Promise((resolve, reject) => {
    execFile('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], (err) => {
      if (err) return reject(err);
      const pem = path.join(dir, 'chat.pem');
      fs.writeFileSync(pem, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'));
      resolve(pem);
    });
  });
}

function httpsGet(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent: false, rejectUnauthorized: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
  });
}

describe('the launcher config (static, no limits) on a real HAProxy', () => {
  let lb: Lb;
  beforeAll(async () => {
    lb = await startLb();
  });
  afterAll(() => lb?.stop());

  it('replaces a client-sent X-Forwarded-For with the client address', async () => {
    const res = await httpGet(`${lb.url}/api/v1/whoami`, 5000, { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' });
    expect(res.status).toBe(200);
    expect(lb.stub.seen.at(-1)).toEqual({ path: '/api/v1/whoami', xff: '127.0.0.1', proto: 'http' });
  });

  it('refuses /metrics without asking a node', async () => {
    const before = lb.stub.seen.length;
    for (const p of ['/metrics', '/metrics?name=x', '/metrics/']) expect((await httpGet(`${lb.url}${p}`)).status).toBe(403);
    expect(lb.stub.seen.length).toBe(before);
  });

  it('does not throttle a local load test: 300 requests from 127.0.0.1, 30 at a time, all pass', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push(...(await Promise.all(Array.from({ length: 30 }, (_, j) => httpGet(`${lb.url}/r${i}-${j}`, 5000).then((r) => r.status)))));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});

describe('per-source limits on a real HAProxy', () => {
  let lb: Lb;
  beforeAll(async () => {
    lb = await startLb({ limits: { maxConnections: 3, maxRequests: 8, windowSec: 30 } });
  });
  afterAll(() => lb?.stop());

  it('answers 429 past the request rate, and refuses connections past the cap', async () => {
    const held = await Promise.all([heldConnection(lb.url), heldConnection(lb.url), heldConnection(lb.url)]);
    try {
      // A fourth connection from the same address is closed at accept: no HTTP answer at all.
      await expect(httpGet(`${lb.url}/fourth`, 5000)).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(lb.stub.seen.map((s) => s.path)).not.toContain('/fourth');
    } finally {
      for (const s of held) s.destroy();
    }
    // Three requests spent on the held connections; the rest of the window's 8, then 429.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        await pollUntil(
          'a free connection slot',
          () =>
            httpGet(`${lb.url}/n${i}`, 5000).then(
              (r) => r.status,
              () => undefined,
            ),
          { timeoutMs: 5000 },
        ),
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });
});

describe('TLS termination on a real HAProxy', () => {
  let lb: Lb;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-tls-'));
    lb = await startLb({ tls: { certFile: await selfSignedPem(dir), hstsMaxAgeSec: 600 } });
  });
  afterAll(async () => {
    await lb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const res = await httpGet(`${lb.url}/api/v1/rooms?x=1`);
    expect(res.status).toBe(301);
    // Same host (the Host header, port included when the client sent one), same path and query.
    expect(res.headers.location).toMatch(/^https:\/\/127\.0\.0\.1(:\d+)?\/api\/v1\/rooms\?x=1$/);
  });

  it('serves HTTPS with HSTS and tells the node the client used https', async () => {
    const res = await httpsGet(`${lb.httpsUrl}/api/v1/rooms`);
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=600');
    expect(lb.stub.seen.at(-1)).toEqual({ path: '/api/v1/rooms', xff: '127.0.0.1', proto: 'https' });
  });
});
