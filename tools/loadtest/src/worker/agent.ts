import type { ChatMessage } from '@chat/protocol';
import { nowMs, toMicros } from '../clock';
import { decodePayload, encodePayload } from '../content';
import type { LoadPayload } from '../content';
import { createHistogram, encodeHistogram } from '../hist';
import type { Histogram } from '../hist';
import type { FromWorker, MemberCountsTuple, MembershipTuple, SendTuple, StepReport, ToWorker, WorkerConfig } from '../ipc';
import type { ClientSpec } from '../plan';
import { localRate } from '../plan';
import { SeqTracker } from '../streams';
import type { SeqStream } from '../streams';
import { connectSocket, ConnectFailure, createSession } from './connect';
import type { ChatClientSocket } from './connect';
import { forEachLimited } from './limiter';
import { SaturationProbe } from './saturation';

interface Member {
  roomId: string;
  /** The member's global client index. */
  member: number;
  joinedAt: number;
  leftAt?: number;
  /** What it received during this membership (opened at the first delivery): loss is judged per member from it. */
  stream?: SeqStream;
}

interface LiveClient {
  spec: ClientSpec;
  key: string;
  socket?: ChatClientSocket;
  roomId?: string;
  joined: boolean;
  /** A join or leave is in flight. */
  busy: boolean;
  membership?: Member;
  /** Its seq stream of the room while joined (the tracker's, kept here to skip a keyed look-up per delivery). */
  stream?: SeqStream;
  nextChurnAt: number;
  counter: number;
}

interface LocalRoom {
  index: number;
  roomId: string;
  talkers: LiveClient[];
  members: LiveClient[];
  nextTalker: number;
  rate: number;
  /**
   * Where in its send period this room's sends fall, as a fraction of the period: rooms spread over
   * it instead of all sending at the same instants (which made the load arrive in bursts of every
   * room at once, and the latency measured the bursts).
   */
  phase: number;
  scheduled: number;
  historyScheduled: number;
  historyRate: number;
}

interface StepState {
  index: number;
  startedAt: number;
  durationMs: number;
  sent: number;
  acked: number;
  failed: number;
  delivered: number;
  errors: Record<string, number>;
  sends: SendTuple[];
  e2e: Histogram;
  ack: Histogram;
  history: Histogram;
  historyOk: number;
  join: Histogram;
  churnCycles: number;
  maxLoopP99Ms: number;
  maxCpuPct: number;
  saturatedTicks: number;
}

/** Messages remembered by id (an 8 s step at 2,400 messages/s has about 19,000); past it they are forgotten. */
const MAX_SEEN = 100_000;

/** Scheduler period; a step's sends are spread at this granularity. */
const TICK_MS = 10;

/** A low-discrepancy fraction in [0, 1) for room `index` (golden-ratio sequence), shifted per worker. */
function spread(index: number, salt: number): number {
  const x = index * 0.6180339887498949 + salt;
  return x - Math.floor(x);
}
/** At most this many sends per room per scheduler tick (a stalled loop must not fire a huge burst). */
const MAX_BURST = 200;
const SAMPLE_MS = 1000;
const POLL_MS = 20;

/**
 * One load worker: brings its share of the members online, sends at the
 * requested rate, records what it sees, and reports to the coordinator. It
 * only talks through `emit` and `handle`, so it runs the same in a forked
 * process or inside the coordinator.
 */
export class LoadAgent {
  private config!: WorkerConfig;
  /** Shifts this worker's room phases, so rooms split over workers do not line up either. */
  private readonly phaseSalt = Math.random();
  private clients: LiveClient[] = [];
  private rooms: LocalRoom[] = [];
  private readonly memberships: Member[] = [];
  private readonly seq = new SeqTracker();
  /** Load messages' payloads by id, decoded once for all of the worker's receivers (null: not one of this run's). */
  private seen = new Map<string, LoadPayload | null>();
  private probe: SaturationProbe | undefined;
  private step: StepState | undefined;
  private sending = false;
  private inflight = 0;
  private lastDeliveryAt = 0;
  private deliveredTotal = 0;
  private unexpectedDisconnects = 0;
  private readonly errors: Record<string, number> = {};
  private sec = this.freshSecond();
  private schedulerTimer: NodeJS.Timeout | undefined;
  private sampleTimer: NodeJS.Timeout | undefined;
  private readonly waits = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly emit: (m: FromWorker) => void) {}

  handle(msg: ToWorker): void {
    const fail = (err: unknown) => this.emit({ type: 'fatal', message: (err as Error)?.stack ?? String(err) });
    try {
      switch (msg.type) {
        case 'init':
          this.init(msg.config, msg.clients).catch(fail);
          return;
        case 'step':
          this.startStep(msg.step, msg.ratePerRoom, msg.durationMs);
          return;
        case 'collect':
          this.collect(msg.step).catch(fail);
          return;
        case 'close':
          this.close();
          return;
      }
    } catch (err) {
      fail(err);
    }
  }

  // ---- connect ------------------------------------------------------------

  private async init(config: WorkerConfig, specs: ClientSpec[]): Promise<void> {
    this.config = config;
    this.probe = new SaturationProbe(config);
    this.sampleTimer = setInterval(() => this.sampleSecond(), SAMPLE_MS);
    const session = createHistogram();
    const connect = createHistogram();
    const join = createHistogram();
    const roomIds: Record<number, string> = {};
    const errors: Record<string, number> = {};
    this.clients = specs.map((spec) => ({ spec, key: String(spec.index), joined: false, busy: false, nextChurnAt: 0, counter: 0 }));

    await forEachLimited(this.clients, config.connectConcurrency, async (c) => {
      if (this.closed) return;
      try {
        let t = nowMs();
        const s = await createSession(c.spec.url, c.spec.nickName, c.spec.chatroomName, config.connectTimeoutMs);
        session.recordValue(toMicros(nowMs() - t));
        roomIds[c.spec.room] = s.roomId;
        c.roomId = s.roomId;
        t = nowMs();
        const socket = await connectSocket(c.spec.url, s.token, {
          transport: config.transport,
          parser: config.parser,
          delivery: config.delivery,
          timeoutMs: config.connectTimeoutMs,
        });
        connect.recordValue(toMicros(nowMs() - t));
        c.socket = socket;
        this.wire(c, socket);
        if (this.closed) return;
        t = nowMs();
        await this.join(c);
        join.recordValue(toMicros(nowMs() - t));
      } catch (err) {
        const code = err instanceof ConnectFailure ? err.code : 'connect_failed';
        errors[code] = (errors[code] ?? 0) + 1;
      }
    });

    this.rooms = this.buildRooms();
    const connected = this.clients.filter((c) => c.joined).length;
    this.emit({
      type: 'ready',
      report: {
        worker: config.worker,
        roomIds,
        clients: this.clients.length,
        connected,
        failed: this.clients.length - connected,
        errors,
        session: encodeHistogram(session),
        connect: encodeHistogram(connect),
        join: encodeHistogram(join),
      },
    });
  }

  private buildRooms(): LocalRoom[] {
    const byRoom = new Map<number, LocalRoom>();
    for (const c of this.clients) {
      if (!c.roomId) continue;
      let r = byRoom.get(c.spec.room);
      if (!r) {
        r = {
          index: c.spec.room,
          roomId: c.roomId,
          talkers: [],
          members: [],
          nextTalker: 0,
          rate: 0,
          phase: this.config.sendPhases === 'aligned' ? 0 : spread(c.spec.room, this.phaseSalt),
          scheduled: 0,
          historyScheduled: 0,
          historyRate: 0,
        };
        byRoom.set(c.spec.room, r);
      }
      r.members.push(c);
      if (!c.spec.churner) r.talkers.push(c);
    }
    return [...byRoom.values()];
  }

  private wire(c: LiveClient, socket: ChatClientSocket): void {
    socket.on('message', (m) => this.onMessage(c, m));
    socket.on('messages', (b) => {
      for (const m of b.messages) this.onMessage(c, m);
    });
    socket.on('disconnect', (reason) => {
      if (c.joined) this.endMembership(c);
      if (!this.closed && reason !== 'io client disconnect') {
        this.unexpectedDisconnects++;
        this.countError(`disconnect:${reason}`);
      }
    });
  }

  private join(c: LiveClient): Promise<void> {
    const socket = c.socket;
    const roomId = c.roomId;
    if (!socket || !roomId) return Promise.reject(new ConnectFailure('not_connected', 'no socket'));
    c.busy = true;
    return new Promise((resolve, reject) => {
      socket.timeout(this.config.ackTimeoutMs).emit('join', { roomId }, (err: Error | null, reply) => {
        c.busy = false;
        if (err) return reject(new ConnectFailure('join_timeout', err.message));
        if (!reply.ok) return reject(new ConnectFailure(reply.error.code, reply.error.message));
        c.joined = true;
        c.membership = { roomId, member: c.spec.index, joinedAt: nowMs() };
        this.memberships.push(c.membership);
        resolve();
      });
    });
  }

  private endMembership(c: LiveClient): void {
    c.joined = false;
    if (c.membership && c.membership.leftAt === undefined) c.membership.leftAt = nowMs();
    if (c.roomId) this.seq.leave(c.key, c.roomId);
    c.stream = undefined;
  }

  // ---- receive ------------------------------------------------------------

  private onMessage(c: LiveClient, m: ChatMessage): void {
    const t = nowMs();
    // Between leave and its ack the server may still deliver; such messages are not the member's.
    if (!c.joined || m.roomId !== c.roomId) return;
    this.deliveredTotal++;
    this.lastDeliveryAt = t;
    if (!c.stream) {
      c.stream = this.seq.stream(c.key, m.roomId);
      if (c.membership) c.membership.stream = c.stream;
    }
    c.stream.observe(m.seq);
    if (m.kind !== 'user') return;
    const p = this.payloadOf(m);
    if (!p) return;
    const latency = toMicros(t - p.t);
    this.sec.delivered++;
    this.sec.e2e.recordValue(latency);
    const st = this.step;
    if (!st || p.p !== st.index) return;
    st.delivered++;
    st.e2e.recordValue(latency);
  }

  /** Decodes a message's payload once per worker, however many of its receivers live here. */
  private payloadOf(m: ChatMessage): LoadPayload | null {
    let payload = this.seen.get(m.id);
    if (payload === undefined) {
      if (this.seen.size >= MAX_SEEN) this.seen = new Map();
      payload = decodePayload(m.content, this.config.runId) ?? null;
      this.seen.set(m.id, payload);
    }
    return payload;
  }

  // ---- send ---------------------------------------------------------------

  private startStep(index: number, ratePerRoom: number, durationMs: number): void {
    this.step = {
      index,
      startedAt: nowMs(),
      durationMs,
      sent: 0,
      acked: 0,
      failed: 0,
      delivered: 0,
      errors: {},
      sends: [],
      e2e: createHistogram(),
      ack: createHistogram(),
      history: createHistogram(),
      historyOk: 0,
      join: createHistogram(),
      churnCycles: 0,
      maxLoopP99Ms: 0,
      maxCpuPct: 0,
      saturatedTicks: 0,
    };
    for (const r of this.rooms) {
      r.rate = localRate(ratePerRoom, r.talkers.length, this.config.talkersPerRoom);
      // History reads are spread like sends: by the share of the room's members that live here.
      r.historyRate = localRate(this.config.historyRatePerRoom, r.members.length, this.config.membersPerRoom);
      r.scheduled = 0;
      r.historyScheduled = 0;
    }
    const start = this.step.startedAt;
    for (const c of this.clients) c.nextChurnAt = start + Math.random() * this.config.churnIntervalMs;
    this.sending = true;
    this.schedulerTimer = setInterval(() => this.schedule(), TICK_MS);
  }

  private schedule(): void {
    const st = this.step;
    if (!st || !this.sending) return;
    const now = nowMs();
    const elapsed = Math.min(now - st.startedAt, st.durationMs);
    for (const r of this.rooms) {
      const due = Math.min(Math.floor((elapsed / 1000) * r.rate + r.phase) - r.scheduled, MAX_BURST);
      for (let i = 0; i < due; i++) {
        r.scheduled++;
        const c = this.pickTalker(r);
        if (c) this.send(st, c, r);
        else this.countStepError(st, 'no_connected_talker');
      }
      const hDue = Math.min(Math.floor((elapsed / 1000) * r.historyRate) - r.historyScheduled, MAX_BURST);
      for (let i = 0; i < hDue; i++) {
        r.historyScheduled++;
        const c = r.members[r.historyScheduled % r.members.length];
        if (c?.joined && !c.busy) this.readHistory(st, c, r);
        else this.countStepError(st, 'history_skipped');
      }
    }
    if (this.config.churnIntervalMs > 0) {
      for (const c of this.clients) {
        if (c.spec.churner && !c.busy && c.socket?.connected && c.nextChurnAt <= now) {
          c.nextChurnAt = now + this.config.churnIntervalMs;
          this.churn(st, c);
        }
      }
    }
    if (now - st.startedAt >= st.durationMs) void this.stopSending(st);
  }

  private pickTalker(r: LocalRoom): LiveClient | undefined {
    for (let i = 0; i < r.talkers.length; i++) {
      const c = r.talkers[(r.nextTalker + i) % r.talkers.length]!;
      if (c.joined && c.socket?.connected) {
        r.nextTalker = (r.nextTalker + i + 1) % r.talkers.length;
        return c;
      }
    }
    return undefined;
  }

  private send(st: StepState, c: LiveClient, r: LocalRoom): void {
    const socket = c.socket!;
    const n = c.counter++;
    const tSend = nowMs();
    const content = encodePayload({ r: this.config.runId, s: c.spec.index, n, t: tSend, p: st.index }, this.config.messageBytes);
    this.inflight++;
    st.sent++;
    this.sec.sent++;
    socket
      .timeout(this.config.ackTimeoutMs)
      .emit('message', { roomId: r.roomId, content, clientMsgId: `${this.config.runId}:${c.spec.index}:${n}` }, (err: Error | null, reply) => {
        this.inflight--;
        const tAck = nowMs();
        if (err) {
          st.failed++;
          return this.countStepError(st, 'ack_timeout');
        }
        if (!reply.ok) {
          st.failed++;
          return this.countStepError(st, reply.error.code);
        }
        const us = toMicros(tAck - tSend);
        st.ack.recordValue(us);
        this.sec.ack.recordValue(us);
        st.acked++;
        this.sec.acked++;
        st.sends.push([r.roomId, reply.message.seq, tSend, tAck]);
      });
  }

  private readHistory(st: StepState, c: LiveClient, r: LocalRoom): void {
    const t = nowMs();
    this.inflight++;
    c.socket!.timeout(this.config.ackTimeoutMs).emit('history', { roomId: r.roomId, limit: this.config.historyLimit }, (err: Error | null, reply) => {
      this.inflight--;
      if (err) return this.countStepError(st, 'history_timeout');
      if (!reply.ok) return this.countStepError(st, `history:${reply.error.code}`);
      st.history.recordValue(toMicros(nowMs() - t));
      st.historyOk++;
    });
  }

  /** leave, then join again at the next turn: one cycle per two turns. */
  private churn(st: StepState, c: LiveClient): void {
    const socket = c.socket!;
    const roomId = c.roomId!;
    if (c.joined) {
      this.endMembership(c);
      c.busy = true;
      this.inflight++;
      socket.timeout(this.config.ackTimeoutMs).emit('leave', { roomId }, (err: Error | null, reply) => {
        this.inflight--;
        c.busy = false;
        if (err) return this.countStepError(st, 'leave_timeout');
        if (!reply.ok) this.countStepError(st, `leave:${reply.error.code}`);
      });
      return;
    }
    const t = nowMs();
    this.inflight++;
    this.join(c).then(
      () => {
        this.inflight--;
        st.join.recordValue(toMicros(nowMs() - t));
        st.churnCycles++;
      },
      (err: unknown) => {
        this.inflight--;
        this.countStepError(st, `join:${err instanceof ConnectFailure ? err.code : 'failed'}`);
      },
    );
  }

  private countStepError(st: StepState, code: string): void {
    st.errors[code] = (st.errors[code] ?? 0) + 1;
    this.sec.errors++;
    this.countError(code);
  }

  private countError(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  private async stopSending(st: StepState): Promise<void> {
    if (!this.sending) return;
    this.sending = false;
    this.clearScheduler();
    await this.waitUntil(() => this.inflight === 0, this.config.drainTimeoutMs);
    this.emit({ type: 'acksDrained', step: st.index });
  }

  /** Deliveries of the step are complete once none arrived for `quietMs` (bounded by the drain timeout). */
  private async collect(index: number): Promise<void> {
    const st = this.step;
    if (!st || st.index !== index) throw new Error(`collect for step ${index}, but current step is ${st?.index}`);
    await this.waitUntil(() => nowMs() - this.lastDeliveryAt >= this.config.quietMs, this.config.drainTimeoutMs);
    const report: StepReport = {
      worker: this.config.worker,
      step: st.index,
      sent: st.sent,
      acked: st.acked,
      failed: st.failed,
      errors: { ...st.errors },
      delivered: st.delivered,
      sends: st.sends,
      memberships: this.memberships.map((m): MembershipTuple => [m.roomId, m.member, m.joinedAt, m.leftAt ?? null, m.stream?.receivedRanges() ?? []]),
      e2e: encodeHistogram(st.e2e),
      ack: encodeHistogram(st.ack),
      history: encodeHistogram(st.history),
      historyOk: st.historyOk,
      join: encodeHistogram(st.join),
      churnCycles: st.churnCycles,
      unackedAtDrain: this.inflight,
      maxLoopP99Ms: st.maxLoopP99Ms,
      maxCpuPct: st.maxCpuPct,
      saturatedTicks: st.saturatedTicks,
    };
    this.emit({ type: 'stepReport', report });
  }

  /** Polls a condition with a deadline; every wait is bounded and cleared on close. */
  private waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = nowMs() + timeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        if (this.closed || cond() || nowMs() >= deadline) return resolve();
        const t = setTimeout(() => {
          this.waits.delete(t);
          check();
        }, POLL_MS);
        this.waits.add(t);
      };
      check();
    });
  }

  // ---- per-second samples -------------------------------------------------

  private freshSecond() {
    return { sent: 0, acked: 0, delivered: 0, errors: 0, e2e: createHistogram(), ack: createHistogram() };
  }

  private sampleSecond(): void {
    if (!this.probe) return;
    const load = this.probe.sample();
    const s = this.sec;
    this.sec = this.freshSecond();
    const st = this.step;
    if (st && this.sending) {
      st.maxLoopP99Ms = Math.max(st.maxLoopP99Ms, load.loopP99Ms);
      st.maxCpuPct = Math.max(st.maxCpuPct, load.cpuPct);
      if (load.saturated) st.saturatedTicks++;
    }
    this.emit({
      type: 'tick',
      sample: {
        worker: this.config.worker,
        at: nowMs(),
        sent: s.sent,
        acked: s.acked,
        delivered: s.delivered,
        errors: s.errors,
        connected: this.clients.reduce((n, c) => n + (c.socket?.connected ? 1 : 0), 0),
        inflight: this.inflight,
        e2e: encodeHistogram(s.e2e),
        ack: encodeHistogram(s.ack),
        ...load,
      },
    });
  }

  // ---- close --------------------------------------------------------------

  private clearScheduler(): void {
    if (this.schedulerTimer) clearInterval(this.schedulerTimer);
    this.schedulerTimer = undefined;
  }

  /** Idempotent: stops every timer, closes every socket, sends the final counts. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sending = false;
    this.clearScheduler();
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    for (const t of this.waits) clearTimeout(t);
    this.waits.clear();
    this.probe?.close();
    for (const c of this.clients) {
      if (c.joined) this.endMembership(c);
      c.socket?.removeAllListeners();
      c.socket?.disconnect();
    }
    const s = this.seq.finish();
    const members = this.seq
      .receiversWithFindings()
      .map(({ receiver, counts: k }): MemberCountsTuple => [Number(receiver), k.duplicates, k.orderViolations, k.gapEvents, k.missing]);
    this.emit({
      type: 'closed',
      report: {
        worker: this.config?.worker ?? -1,
        duplicates: s.duplicates,
        orderViolations: s.orderViolations,
        gapEvents: s.gapEvents,
        missing: s.missing,
        members,
        deliveredTotal: this.deliveredTotal,
        unexpectedDisconnects: this.unexpectedDisconnects,
        errors: { ...this.errors },
      },
    });
  }
}
