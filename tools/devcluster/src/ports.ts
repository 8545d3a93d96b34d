import net from 'node:net';

/** Asks the kernel for a free loopback port. Racy by nature, but the window is tiny and each caller binds right away. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** True when `port` can be bound on `host` right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port whose `port + offset` is free too (Redis Cluster uses port+10000
 * for its bus). Tries a bounded number of times.
 */
export async function freePortPair(offset: number, host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort(host);
    if (port + offset <= 65535 && (await isPortFree(port + offset, host))) return port;
  }
  throw new Error(`no free port pair with offset ${offset} after 50 tries`);
}
