import { randomBytes } from 'node:crypto';
import { LoadTestError } from './errors';
import { mergeEncoded, summarize, summarizeEncoded } from './hist';
import type { FinalReport, FromWorker, ReadyReport, StepReport, TickSample, ToWorker, WorkerConfig } from './ipc';
import { computeLoss } from './loss';
import type { Membership, SendRecord } from './loss';
import type { LoadOptions, ResolvedOptions } from './options';
import { resolveOptions } from './options';
import { churnersPerRoom, planClients } from './plan';
import type { ClientSpec } from './plan';
import { forkWorker, inProcessWorker } from './pool';
import type { WorkerHandle } from './pool';
import { readRssMb } from './proc';
import { judgeStep, RampController } from './ramp';
import type { LoadReport, MemberFinding, StepSummary, TimelinePoint, WorkerSummary } from './report/types';
import { writeReportFiles } from './report/write';

/** A leave that starts this soon after an ack may race the broadcast: that delivery is not expected. */
const MEMBERSHIP_SETTLE_MS = 500;
const CLOSE_TIMEOUT_MS = 5000;
/** Slack on top of each phase's own bound before a silent worker counts as failed. */
const SLACK_MS = 10_000;
/** A forked worker compiles its TypeScript through tsx before it can answer; slow on a busy machine. */
const WORKER_START_MS = 60_000;
/** Members listed one by one in the report's findings; the counts cover all of them. */
const MAX_MEMBER_FINDINGS = 1000;

/** Runs one load test against a deployment and returns its report (and writes files when `outDir` is set). */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const o = resolveOptions(options);
  const run = new Coordinator(o, options);
  try {
    return await run.execute();
  } finally {
    await run.close();
  }
}

type ExpectType = 'ready' | 'acksDrained' | 'stepReport' | 'closed';
interface Pending {
  type: ExpectType;
  step: number | undefined;
  got: Map<number, FromWorker>;
  resolve: (v: FromWorker[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Bucket {
  sent: number;
  acked: number;
  delivered: number;
  errors: number;
  connected: Map<number, number>;
  e2e: string[];
  ack: string[];
  loopMax: number;
  cpuMax: number;
  rss?: number;
}

class Coordinator {
  private readonly runId = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
  private readonly plan: ClientSpec[][];
  private handles: WorkerHandle[] = [];
  private pending: Pending | undefined;
  private closing = false;
  private closedReports = new Map<number, FinalReport>();
  private readonly lastTick = new Map<number, TickSample>();
  private readonly buckets = new Map<number, Bucket>();
  private t0 = Date.now();
  private phase = 'connecting';
  private progressTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date();
  private target: number;
  private connected = 0;
  private rssPeak: number | undefined;
  private rssLast: number | undefined;
  private readonly saturation = new Map<number, { loop: number; cpu: number; seconds: number }>();
  /** Lost deliveries per member over the measured steps. */
  private readonly lostByMember = new Map<number, number>();
  private onAbort = () => this.fail(new LoadTestError('aborted', 'the run was aborted'));

  constructor(
    private readonly o: ResolvedOptions,
    private readonly raw: LoadOptions,
  ) {
    const s = o.scenario;
    this.target = s.rooms * s.clientsPerRoom;
    this.plan = planClients({
      runId: this.runId,
      rooms: s.rooms,
      clientsPerRoom: s.clientsPerRoom,
      urls: o.urls,
      workers: Math.max(1, o.workers),
      churnFraction: s.churn?.fraction ?? 0,
    });
  }

  async execute(): Promise<LoadReport> {
    const o = this.o;
    const s = o.scenario;
    if (this.raw.signal?.aborted) throw new LoadTestError('aborted', 'the run was aborted');
    this.raw.signal?.addEventListener('abort', this.onAbort, { once: true });
    const spawn = o.workers === 0 ? inProcessWorker : forkWorker;
    this.handles = this.plan.map((_, i) =>
      spawn(
        i,
        (w, m) => this.onMessage(w, m),
        (w, code) => this.onExit(w, code),
      ),
    );
    this.t0 = Date.now();
    this.progressTimer = setInterval(() => this.everySecond(), 1000);

    // 1. members online
    const churners = churnersPerRoom(s.clientsPerRoom, s.churn?.fraction ?? 0);
    const lanes = Math.ceil(Math.max(...this.plan.map((p) => p.length)) / o.connectConcurrency);
    const ready = (await this.expectAll('ready', undefined, WORKER_START_MS + lanes * (2 * o.connectTimeoutMs + o.ackTimeoutMs), (w) =>
      this.send(w, { type: 'init', config: this.workerConfig(w, churners), clients: this.plan[w]! }),
    )) as Extract<FromWorker, { type: 'ready' }>[];
    const readyReports = ready.map((r) => r.report);
    this.connected = readyReports.reduce((n, r) => n + r.connected, 0);
    if (this.connected === 0) {
      const errs = Object.entries(mergeCounts(readyReports.map((r) => r.errors)))
        .map(([k, v]) => `${k} x${v}`)
        .join(', ');
      throw new LoadTestError('unreachable', `no member could come online (${errs || 'no error reported'})`);
    }

    // 2. warmup (not measured), 3. measured step(s)
    if (s.warmupSec > 0) {
      this.enterPhase('warmup');
      await this.runStep(-1, s.ratePerRoom, s.warmupSec * 1000);
    }
    const steps: StepSummary[] = [];
    let result: StepSummary | undefined;
    let ramp: LoadReport['ramp'];
    const bounds = { p99MaxMs: o.p99MaxMs, lossMax: o.lossMax };
    if (o.ramp) {
      const ctl = new RampController({ ...bounds, startRate: s.ratePerRoom, factor: o.ramp.factor, maxSteps: o.ramp.maxSteps, retries: o.ramp.retries });
      let rate = ctl.rateOf(0);
      for (let i = 0; ; i++) {
        const at = ctl.position;
        this.enterPhase(`step ${at.step}/${o.ramp.maxSteps} @ ${rate}/s/room${at.repeat ? ' (again)' : ''}`);
        const summary = await this.measuredStep(i, rate, o.ramp.stepSec);
        steps.push(summary);
        const d = ctl.record({ step: i, rate, e2eP99Ms: summary.e2e.p99, lossRatio: summary.lossRatio, saturated: summary.generatorSaturated });
        if (d.done) {
          result = d.lastGood ? steps[d.lastGood.step] : undefined;
          ramp = { lastGoodRate: d.lastGood?.rate, stoppedBecause: Array.isArray(d.reason) ? d.reason.join('+') : d.reason };
          break;
        }
        rate = d.nextRate;
      }
    } else {
      this.enterPhase('measuring');
      result = await this.measuredStep(0, s.ratePerRoom, s.durationSec);
      steps.push(result);
    }

    // 4. close every socket and collect the per-receiver order counts
    this.enterPhase('closing');
    const finals = await this.closeWorkers();
    const report = this.buildReport(readyReports, steps, result, ramp, finals);
    if (o.outDir) report.files = await writeReportFiles(report, o.outDir);
    return report;
  }

  private workerConfig(w: number, churners: number): WorkerConfig {
    const o = this.o;
    const s = o.scenario;
    return {
      worker: w,
      runId: this.runId,
      transport: o.transport,
      parser: o.parser,
      delivery: o.delivery,
      sendPhases: o.sendPhases,
      messageBytes: s.messageBytes,
      talkersPerRoom: s.clientsPerRoom - churners,
      membersPerRoom: s.clientsPerRoom,
      churnIntervalMs: s.churn ? s.churn.intervalMs : 0,
      historyRatePerRoom: s.history?.ratePerRoom ?? 0,
      historyLimit: s.history?.limit ?? 50,
      connectConcurrency: o.connectConcurrency,
      connectTimeoutMs: o.connectTimeoutMs,
      ackTimeoutMs: o.ackTimeoutMs,
      drainTimeoutMs: o.drainTimeoutMs,
      quietMs: o.quietMs,
      loopP99MaxMs: o.loopP99MaxMs,
      cpuMaxPct: o.cpuMaxPct,
    };
  }

  private async runStep(step: number, rate: number, durationMs: number): Promise<StepReport[]> {
    const o = this.o;
    await this.expectAll('acksDrained', step, durationMs + o.drainTimeoutMs, (w) => this.send(w, { type: 'step', step, ratePerRoom: rate, durationMs }));
    const reports = await this.expectAll('stepReport', step, o.drainTimeoutMs, (w) => this.send(w, { type: 'collect', step }));
    return reports.map((m) => (m as Extract<FromWorker, { type: 'stepReport' }>).report);
  }

  private async measuredStep(step: number, rate: number, durationSec: number): Promise<StepSummary> {
    const reports = await this.runStep(step, rate, durationSec * 1000);
    const sends: SendRecord[] = [];
    const memberships: Membership[] = [];
    for (const r of reports) {
      for (const [roomId, seq, tSend, tAck] of r.sends) sends.push({ roomId, seq, tSend, tAck });
      for (const [roomId, member, joinedAt, leftAt, received] of r.memberships) {
        memberships.push(leftAt === null ? { roomId, member, joinedAt, received } : { roomId, member, joinedAt, leftAt, received });
      }
      const sat = this.saturation.get(r.worker) ?? { loop: 0, cpu: 0, seconds: 0 };
      this.saturation.set(r.worker, { loop: Math.max(sat.loop, r.maxLoopP99Ms), cpu: Math.max(sat.cpu, r.maxCpuPct), seconds: sat.seconds + r.saturatedTicks });
    }
    const loss = computeLoss(sends, memberships, MEMBERSHIP_SETTLE_MS);
    for (const [member, n] of loss.lostByMember) this.lostByMember.set(member, (this.lostByMember.get(member) ?? 0) + n);
    const sum = (f: (r: StepReport) => number) => reports.reduce((n, r) => n + f(r), 0);
    // One saturated second in ten is enough to distrust the step's latencies.
    const saturated = reports.some((r) => r.saturatedTicks > 0 && r.saturatedTicks >= durationSec / 10);
    const e2e = summarizeEncoded(reports.map((r) => r.e2e));
    const summary: StepSummary = {
      step,
      rate,
      durationSec,
      sent: sum((r) => r.sent),
      acked: sum((r) => r.acked),
      failed: sum((r) => r.failed),
      delivered: sum((r) => r.delivered),
      expectedDeliveries: loss.expected,
      lost: loss.lost,
      lossRatio: loss.lossRatio,
      membersWithLoss: loss.lostByMember.size,
      sendsPerSec: round(sum((r) => r.sent) / durationSec),
      deliveriesPerSec: round(sum((r) => r.delivered) / durationSec),
      e2e,
      ack: summarizeEncoded(reports.map((r) => r.ack)),
      history: summarizeEncoded(reports.map((r) => r.history)),
      join: summarizeEncoded(reports.map((r) => r.join)),
      churnCycles: sum((r) => r.churnCycles),
      unackedAtDrain: sum((r) => r.unackedAtDrain),
      errors: mergeCounts(reports.map((r) => r.errors)),
      generatorSaturated: saturated,
      ok: true,
      breaks: [],
    };
    const v = judgeStep({ step, rate, e2eP99Ms: e2e.p99, lossRatio: loss.lossRatio, saturated }, { p99MaxMs: this.o.p99MaxMs, lossMax: this.o.lossMax });
    summary.ok = v.ok;
    summary.breaks = v.reasons;
    return summary;
  }

  // ---- messaging ------------------------------------------------------------

  private send(w: number, msg: ToWorker): void {
    this.handles[w]?.send(msg);
  }

  /** Registers the wait first, then sends, so no answer can arrive unseen. */
  private expectAll(type: ExpectType, step: number | undefined, boundMs: number, sendTo: (w: number) => void): Promise<FromWorker[]> {
    if (this.pending) throw new Error(`already waiting for ${this.pending.type}`);
    if (this.raw.signal?.aborted && type !== 'closed') return Promise.reject(new LoadTestError('aborted', 'the run was aborted'));
    const p = new Promise<FromWorker[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new LoadTestError('worker_failed', `workers did not answer "${type}" within ${Math.round((boundMs + SLACK_MS) / 1000)} s`));
      }, boundMs + SLACK_MS);
      this.pending = { type, step, got: new Map(), resolve, reject, timer };
    });
    for (let w = 0; w < this.handles.length; w++) sendTo(w);
    return p;
  }

  private onMessage(w: number, m: FromWorker): void {
    if (m.type === 'tick') return this.onTick(m.sample);
    if (m.type === 'fatal') return this.fail(new LoadTestError('worker_failed', `worker ${w} failed: ${m.message}`));
    if (m.type === 'closed') this.closedReports.set(w, m.report);
    const p = this.pending;
    if (!p || p.type !== m.type) return;
    if ((m.type === 'acksDrained' || m.type === 'stepReport') && p.step !== (m.type === 'acksDrained' ? m.step : m.report.step)) return;
    p.got.set(w, m);
    if (p.got.size === this.handles.length) {
      clearTimeout(p.timer);
      this.pending = undefined;
      p.resolve([...p.got.values()]);
    }
  }

  private onExit(w: number, code: number | null): void {
    if (this.closing && this.closedReports.has(w)) return;
    if (this.closing) return;
    this.fail(new LoadTestError('worker_failed', `worker ${w} exited early (code ${code})`));
  }

  private fail(err: Error): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = undefined;
    p.reject(err);
  }

  // ---- per-second data --------------------------------------------------------

  private bucket(at: number): Bucket {
    const t = Math.max(0, Math.floor((at - this.t0) / 1000));
    let b = this.buckets.get(t);
    if (!b) {
      b = { sent: 0, acked: 0, delivered: 0, errors: 0, connected: new Map(), e2e: [], ack: [], loopMax: 0, cpuMax: 0 };
      this.buckets.set(t, b);
    }
    return b;
  }

  private onTick(s: TickSample): void {
    this.lastTick.set(s.worker, s);
    const b = this.bucket(s.at);
    b.sent += s.sent;
    b.acked += s.acked;
    b.delivered += s.delivered;
    b.errors += s.errors;
    b.connected.set(s.worker, s.connected);
    if (s.e2e) b.e2e.push(s.e2e);
    if (s.ack) b.ack.push(s.ack);
    b.loopMax = Math.max(b.loopMax, s.loopP99Ms);
    b.cpuMax = Math.max(b.cpuMax, s.cpuPct);
  }

  private everySecond(): void {
    if (this.o.serverPid !== undefined) {
      const rss = readRssMb(this.o.serverPid);
      if (rss !== undefined) {
        this.rssLast = rss;
        this.rssPeak = Math.max(this.rssPeak ?? 0, rss);
        this.bucket(Date.now()).rss = rss;
      }
    }
    this.reportProgress();
  }

  /** Also called at every phase change, so a caller marking windows by phase sees the change when it happens. */
  private reportProgress(): void {
    if (!this.raw.onProgress) return;
    const ticks = [...this.lastTick.values()];
    const sumOf = (f: (t: TickSample) => number) => ticks.reduce((n, t) => n + f(t), 0);
    this.raw.onProgress({
      elapsedSec: Math.round((Date.now() - this.t0) / 1000),
      phase: this.phase,
      connected: sumOf((t) => t.connected),
      target: this.target,
      sentPerSec: sumOf((t) => t.sent),
      deliveredPerSec: sumOf((t) => t.delivered),
      errorsPerSec: sumOf((t) => t.errors),
      e2eP99Ms: summarizeEncoded(ticks.map((t) => t.e2e)).p99,
      inflight: sumOf((t) => t.inflight),
      saturatedWorkers: ticks.filter((t) => t.saturated).length,
    });
  }

  private enterPhase(phase: string): void {
    this.phase = phase;
    this.reportProgress();
  }

  // ---- end --------------------------------------------------------------------

  private async closeWorkers(): Promise<FinalReport[]> {
    this.closing = true;
    try {
      await this.expectAll('closed', undefined, CLOSE_TIMEOUT_MS - SLACK_MS, (w) => this.send(w, { type: 'close' }));
    } catch {
      // A worker that does not confirm is killed below; its order counts are missing from the report.
    }
    return [...this.closedReports.values()];
  }

  /** Idempotent: stops timers, ends every worker still running, waits for them to exit. */
  async close(): Promise<void> {
    this.raw.signal?.removeEventListener('abort', this.onAbort);
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = undefined;
    if (!this.closing) {
      this.closing = true;
      for (const h of this.handles) h.send({ type: 'close' });
    }
    const exits = this.handles.map((h) => h.exited);
    const timer = setTimeout(() => this.handles.forEach((h) => h.kill()), CLOSE_TIMEOUT_MS);
    await Promise.all(exits);
    clearTimeout(timer);
  }

  private buildReport(
    ready: ReadyReport[],
    steps: StepSummary[],
    result: StepSummary | undefined,
    ramp: LoadReport['ramp'],
    finals: FinalReport[],
  ): LoadReport {
    const o = this.o;
    const sum = (f: (s: StepSummary) => number) => steps.reduce((n, s) => n + f(s), 0);
    const expected = sum((s) => s.expectedDeliveries);
    const lost = sum((s) => s.lost);
    const fin = (f: (r: FinalReport) => number) => finals.reduce((n, r) => n + f(r), 0);
    const workers: WorkerSummary[] = ready.map((r) => {
      const sat = this.saturation.get(r.worker) ?? { loop: 0, cpu: 0, seconds: 0 };
      return {
        worker: r.worker,
        clients: r.clients,
        connected: r.connected,
        // Two decimals: the delay is a difference of float milliseconds (3.1500000000000004 otherwise).
        maxLoopP99Ms: Math.round(sat.loop * 100) / 100,
        maxCpuPct: Math.round(sat.cpu * 10) / 10,
        saturatedSeconds: sat.seconds,
        saturated: sat.seconds > 0,
      };
    });
    const report: LoadReport = {
      version: 1,
      runId: this.runId,
      startedAt: this.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      scenario: o.scenario,
      settings: {
        urls: o.urls,
        transport: o.transport,
        parser: o.parser,
        delivery: o.delivery,
        workers: o.workers,
        ramp: o.ramp !== undefined,
        p99MaxMs: o.p99MaxMs,
        lossMax: o.lossMax,
        drainTimeoutMs: o.drainTimeoutMs,
      },
      receivers: 'all-members-including-sender',
      connections: {
        target: this.target,
        connected: this.connected,
        failed: this.target - this.connected,
        errors: mergeCounts(ready.map((r) => r.errors)),
        session: summarizeEncoded(ready.map((r) => r.session)),
        connect: summarizeEncoded(ready.map((r) => r.connect)),
        join: summarizeEncoded(ready.map((r) => r.join)),
      },
      steps,
      result,
      totals: {
        sent: sum((s) => s.sent),
        acked: sum((s) => s.acked),
        failed: sum((s) => s.failed),
        expectedDeliveries: expected,
        delivered: sum((s) => s.delivered),
        lost,
        lossRatio: expected === 0 ? 0 : lost / expected,
        duplicates: fin((r) => r.duplicates),
        orderViolations: fin((r) => r.orderViolations),
        gapEvents: fin((r) => r.gapEvents),
        missingSeqs: fin((r) => r.missing),
        deliveredTotal: fin((r) => r.deliveredTotal),
        unexpectedDisconnects: fin((r) => r.unexpectedDisconnects),
        errors: mergeCounts(finals.map((r) => r.errors)),
        members: this.memberFindings(finals),
      },
      workers,
      generatorSaturated: steps.some((s) => s.generatorSaturated),
      timeline: this.timeline(),
    };
    if (ramp) report.ramp = ramp;
    if (o.serverPid !== undefined) report.server = { pid: o.serverPid, rssMbPeak: this.rssPeak, rssMbEnd: this.rssLast };
    return report;
  }

  /** Per member: what it lost over the measured steps, and its duplicates, order violations and gaps over the run. */
  private memberFindings(finals: FinalReport[]): LoadReport['totals']['members'] {
    const byMember = new Map<number, MemberFinding>();
    const finding = (member: number): MemberFinding => {
      let f = byMember.get(member);
      if (!f) {
        f = { member, room: Math.floor(member / this.o.scenario.clientsPerRoom), lost: 0, duplicates: 0, orderViolations: 0, gapEvents: 0, missingSeqs: 0 };
        byMember.set(member, f);
      }
      return f;
    };
    for (const [member, lost] of this.lostByMember) finding(member).lost += lost;
    for (const r of finals) {
      for (const [member, duplicates, orderViolations, gapEvents, missing] of r.members) {
        const f = finding(member);
        f.duplicates += duplicates;
        f.orderViolations += orderViolations;
        f.gapEvents += gapEvents;
        f.missingSeqs += missing;
      }
    }
    const all = [...byMember.values()].sort((a, b) => a.member - b.member);
    const count = (pick: (f: MemberFinding) => number) => all.filter((f) => pick(f) > 0).length;
    return {
      withLoss: count((f) => f.lost),
      withDuplicates: count((f) => f.duplicates),
      withOrderViolations: count((f) => f.orderViolations),
      withGaps: count((f) => f.gapEvents),
      findings: all.slice(0, MAX_MEMBER_FINDINGS),
      unlisted: Math.max(0, all.length - MAX_MEMBER_FINDINGS),
    };
  }

  private timeline(): TimelinePoint[] {
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    return keys.map((t) => {
      const b = this.buckets.get(t)!;
      const e2e = summarize(mergeEncoded(b.e2e));
      const p: TimelinePoint = {
        t,
        sent: b.sent,
        acked: b.acked,
        delivered: b.delivered,
        errors: b.errors,
        connected: [...b.connected.values()].reduce((n, c) => n + c, 0),
        e2eP50: e2e.p50,
        e2eP99: e2e.p99,
        ackP99: summarizeEncoded(b.ack).p99,
        loopP99MaxMs: b.loopMax,
        cpuMaxPct: b.cpuMax,
      };
      if (b.rss !== undefined) p.serverRssMb = b.rss;
      return p;
    });
  }
}

function mergeCounts(list: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of list) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
