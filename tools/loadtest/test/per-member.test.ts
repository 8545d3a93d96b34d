import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandalone } from '@chat/standalone';
import { runLoad } from '../src';
import type { LoadReport } from '../src';

/**
 * Loss, duplicates and order are judged per member. A real embedded server
 * behind a proxy that rewrites what long-polling hands to two members of room
 * 0: member 1 never gets the 5th load message and gets the 10th and 11th the
 * wrong way round; member 2 gets that same 5th message twice. The room still
 * sees as many deliveries as it should (one lost, one extra), which is what
 * counting receptions per message used to take for "nothing lost".
 */

/** engine.io v4 long-polling: packets joined by the record separator. */
const SEPARATOR = '\x1e';
/** engine.io noop: what a poll answers when every packet in it was taken out. */
const NOOP = '6';

/** What to do to one member's load messages, by their order of arrival (1 = the first it would get). */
interface Plan {
  drop?: number;
  duplicate?: number;
  /** Delivers this one after the next. */
  swap?: number;
}

/** Rewrites the polls of one member; load messages are the `message` events of kind user. */
class MemberTamper {
  private seen = 0;
  private held: string | undefined;
  constructor(private readonly plan: Plan) {}

  rewrite(body: string): string {
    const out: string[] = [];
    for (const packet of body.split(SEPARATOR)) {
      if (!this.isLoadMessage(packet)) {
        out.push(packet);
        continue;
      }
      const n = ++this.seen;
      if (n === this.plan.drop) continue;
      if (n === this.plan.swap) {
        this.held = packet;
        continue;
      }
      out.push(packet);
      if (n === this.plan.duplicate) out.push(packet);
      if (this.held !== undefined && n === this.plan.swap! + 1) {
        out.push(this.held);
        this.held = undefined;
      }
    }
    return out.length > 0 ? out.join(SEPARATOR) : NOOP;
  }

  private isLoadMessage(packet: string): boolean {
    if (!packet.startsWith('42["message",')) return false;
    const [, m] = JSON.parse(packet.slice(2)) as [string, { kind?: string }];
    return m.kind === 'user';
  }
}

interface TamperingProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * A plain HTTP proxy to `upstream`. It learns each member's token from the
 * session the load generator creates (nickName lt-<runId>-<member>), its
 * engine.io session from the socket.io CONNECT packet carrying that token, and
 * rewrites the polls of the members `plans` names.
 */
async function tamperingProxy(upstream: string, plans: Map<number, Plan>): Promise<TamperingProxy> {
  const memberOfToken = new Map<string, number>();
  const tamperOfSid = new Map<string, MemberTamper>();
  const readAll = async (stream: NodeJS.ReadableStream): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const url = new URL(req.url ?? '/', upstream);
      const sid = url.searchParams.get('sid');
      if (req.method === 'POST' && url.pathname.startsWith('/socket.io') && sid) {
        for (const packet of body.toString('utf8').split(SEPARATOR)) {
          if (!packet.startsWith('40')) continue;
          const member = memberOfToken.get((JSON.parse(packet.slice(2)) as { token?: string }).token ?? '');
          const plan = member === undefined ? undefined : plans.get(member);
          if (plan) tamperOfSid.set(sid, new MemberTamper(plan));
        }
      }
      // No compression: the proxy reads and rewrites bodies.
      const headers = { ...req.headers, host: url.host, 'accept-encoding': 'identity' };
      const upstreamRes = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const r = http.request(url, { method: req.method, headers }, resolve);
        r.on('error', reject);
        r.end(body);
      });
      let out = await readAll(upstreamRes);
      if (req.method === 'POST' && url.pathname === '/api/v1/sessions' && upstreamRes.statusCode === 201) {
        const nickName = (JSON.parse(body.toString('utf8')) as { nickName: string }).nickName;
        const member = /^lt-[^-]+-(\d+)$/.exec(nickName)?.[1];
        if (member !== undefined) memberOfToken.set((JSON.parse(out.toString('utf8')) as { token: string }).token, Number(member));
      }
      const tamper = sid && req.method === 'GET' ? tamperOfSid.get(sid) : undefined;
      if (tamper && upstreamRes.statusCode === 200) out = Buffer.from(tamper.rewrite(out.toString('utf8')), 'utf8');
      const outHeaders = { ...upstreamRes.headers, 'content-length': String(out.length) };
      delete outHeaders['transfer-encoding'];
      res.writeHead(upstreamRes.statusCode ?? 502, outHeaders);
      res.end(out);
    })().catch((err: unknown) => {
      res.writeHead(502).end(String(err));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('per-member loss, duplicates and order (a real server, one member tampered with)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-per-member-'));
  let server: Awaited<ReturnType<typeof startStandalone>> | undefined;
  let proxy: TamperingProxy | undefined;
  let report: LoadReport;

  beforeAll(async () => {
    server = await startStandalone({ PORT: '0', HOST: '127.0.0.1', METRICS_PORT: '0', DATA_DIR: dir, MESSAGE_RATE_LIMIT: '100000/1', LOG_LEVEL: 'error' });
    proxy = await tamperingProxy(
      server.url,
      new Map([
        [1, { drop: 5, swap: 10 }],
        [2, { duplicate: 5 }],
      ]),
    );
    report = await runLoad({
      urls: [proxy.url],
      rooms: 2,
      clientsPerRoom: 3,
      ratePerRoom: 20,
      durationSec: 2,
      warmupSec: 0,
      workers: 1,
      // Long-polling: every frame a member gets is an HTTP response the proxy can rewrite.
      transport: 'polling',
      connectTimeoutMs: 30_000,
      ackTimeoutMs: 30_000,
      drainTimeoutMs: 10_000,
      quietMs: 1000,
    });
  }, 240_000);

  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports exactly the one loss and the one order violation of member 1, and the duplicate of member 2', () => {
    const t = report.totals;
    expect(report.connections).toMatchObject({ target: 6, connected: 6, failed: 0 });
    expect(t.sent).toBeGreaterThanOrEqual(70);
    expect(t.acked).toBe(t.sent);
    // One delivery lost and one extra: as many deliveries as expected, and yet one member lost one.
    expect(t.expectedDeliveries).toBe(t.sent * 3);
    expect(t.delivered).toBe(t.sent * 3);
    expect(t.lost).toBe(1);
    expect(t.lossRatio).toBeCloseTo(1 / t.expectedDeliveries);
    expect(report.result?.membersWithLoss).toBe(1);
    expect(t.duplicates).toBe(1);
    expect(t.orderViolations).toBe(1);
    // The drop and the swap each open a gap; the swap's is filled, the drop's seq never arrives.
    expect(t.gapEvents).toBe(2);
    expect(t.missingSeqs).toBe(1);
    expect(t.members).toEqual({
      withLoss: 1,
      withDuplicates: 1,
      withOrderViolations: 1,
      withGaps: 1,
      findings: [
        { member: 1, room: 0, lost: 1, duplicates: 0, orderViolations: 1, gapEvents: 2, missingSeqs: 1 },
        { member: 2, room: 0, lost: 0, duplicates: 1, orderViolations: 0, gapEvents: 0, missingSeqs: 0 },
      ],
      unlisted: 0,
    });
  });
});
