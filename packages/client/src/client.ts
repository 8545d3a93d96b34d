import { io } from 'socket.io-client';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { ChatMessage, ErrorBody, HistoryPage, Member, MembersDiff, MembersUpdate, MessageBatch } from '@chat/protocol';
import { ClientError, isTransient } from './errors';
import { MemberList } from './members';
import { Outbox } from './outbox';
import type { OutgoingMessage } from './outbox';
import { restHistory } from './rest';
import type { Session } from './rest';
import { RoomTimeline } from './timeline';
import type { TimelineStats } from './timeline';

/**
 * `connecting`: before the first connection; `online`: connected and in every
 * joined room; `reconnecting`: the connection was lost and is being made again
 * (sends wait in the outbox); `offline`: closed, or the session ended (its token expired).
 */
export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'offline';

/** Content longer than this many characters is refused (`too_large`); the server's limit (LIMITS.contentMax). */
export const CONTENT_MAX = 4000;
/** The largest history page the server answers (LIMITS.historyMax). */
export const HISTORY_PAGE_MAX = 200;

export interface ConnectOptions {
  /** Where to connect; default the session's URL. */
  url?: string;
  /** Default `['websocket', 'polling']`: WebSocket first, long-polling when it cannot connect. */
  transports?: Array<'websocket' | 'polling'>;
  /** How long a missing seq is waited for before history decides (see RoomTimeline). Default 1000 ms. */
  gapWaitMs?: number;
  /** Deadline of each request to the server. Default 10 s. */
  requestTimeoutMs?: number;
  /** Sends in flight at once (they keep their order on the connection). Default 16. */
  maxInFlight?: number;
  /** Reconnect delays: the first, and the cap of the doubling. Default 500 ms and 5 s. */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** Anything else for socket.io-client's io() (e.g. a `parser` when the server runs msgpack). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

export interface JoinOptions {
  /**
   * Resume from this seq: every stored message above it is delivered, in
   * order, then live ones. For an app that kept `lastSeq(roomId)` across restarts.
   */
  afterSeq?: number;
  /** On a fresh join (no `afterSeq`): deliver this many of the newest stored messages first. Default 0. */
  recent?: number;
}

export interface HistoryQuery {
  /** Page back: the newest `limit` messages below this seq (neither `before` nor `after`: the newest). */
  before?: number;
  /** Page forward: the oldest `limit` messages above this seq. */
  after?: number;
  /** Default 50, at most 200. */
  limit?: number;
}

export interface ClientStats extends TimelineStats {
  /** History reads made to fill gaps and catch up. */
  fills: number;
  /** Connections made (the first included). */
  connects: number;
}

type Listener<A extends unknown[]> = (...args: A) => void;

class Listeners<A extends unknown[]> {
  private readonly set = new Set<Listener<A>>();
  constructor(private readonly onThrow: (err: unknown) => void) {}
  add(fn: Listener<A>): () => void {
    this.set.add(fn);
    return () => this.set.delete(fn);
  }
  emit(...args: A): void {
    for (const fn of [...this.set]) {
      try {
        fn(...args);
      } catch (err) {
        this.onThrow(err);
      }
    }
  }
}

interface Room {
  readonly id: string;
  readonly timeline: RoomTimeline;
  readonly members: MemberList;
  readonly recent: number;
  /** In the room on the current connection. */
  joined: boolean;
  /** A join (and, fresh, its first history read) is under way on connection `joiningEpoch`. */
  joiningEpoch: number | undefined;
  filling: boolean;
  fillTimer: ReturnType<typeof setTimeout> | undefined;
  fillAt: number | undefined;
  waiters: Array<{ resolve: () => void; reject: (err: ClientError) => void }>;
}

/** An ack as it arrives: `{ok: true, ...T}` or `{ok: false, error}`; the fields of T are read after checking `ok`. */
type Ack<T extends object> = { ok: boolean; error?: ErrorBody } & Partial<T>;

/**
 * One connection to the chat server for one session, in any number of rooms.
 * Messages come in batches (`delivery: "batch"`) and are handed on one at a
 * time per room, in seq order, each once, with gaps filled from history; after
 * a reconnect every room is joined again from its last seq. Sends wait in an
 * outbox until the server says they are stored.
 */
export class ChatClient {
  readonly session: Session;
  private readonly opts: Required<Omit<ConnectOptions, 'url' | 'socketOptions' | 'transports'>>;
  private readonly socket: Socket;
  private readonly rooms = new Map<string, Room>();
  private readonly outbox = new Outbox();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private connState: ConnectionState = 'connecting';
  private closed = false;
  private ended: ClientError | undefined;
  /** Bumped on every connect: results of requests from an older connection are ignored. */
  private epoch = 0;
  private reconnectAttempts = 0;
  private pumpTimer: ReturnType<typeof setTimeout> | undefined;
  private historyChain: Promise<unknown> = Promise.resolve();
  private outboxDirty = false;
  private readonly counters = { fills: 0, connects: 0 };

  private readonly errorListeners = new Listeners<[ClientError]>((err) =>
    queueMicrotask(() => {
      throw err;
    }),
  );
  private readonly messageListeners = new Listeners<[ChatMessage]>((err) => this.reportListenerError(err));
  private readonly membersListeners = new Listeners<[string, Member[]]>((err) => this.reportListenerError(err));
  private readonly stateListeners = new Listeners<[ConnectionState]>((err) => this.reportListenerError(err));
  private readonly outboxListeners = new Listeners<[OutgoingMessage[]]>((err) => this.reportListenerError(err));
  private readonly removedListeners = new Listeners<[string]>((err) => this.reportListenerError(err));

  constructor(session: Session, options: ConnectOptions = {}) {
    this.session = session;
    this.opts = {
      gapWaitMs: options.gapWaitMs ?? 1000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      maxInFlight: options.maxInFlight ?? 16,
      reconnectDelayMs: options.reconnectDelayMs ?? 500,
      reconnectDelayMaxMs: options.reconnectDelayMaxMs ?? 5000,
    };
    const inBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';
    this.socket = io(options.url ?? session.url, {
      path: '/socket.io',
      autoConnect: false,
      forceNew: true,
      auth: { token: session.token, delivery: 'batch' },
      transports: options.transports ?? ['websocket', 'polling'],
      tryAllTransports: true,
      // Long-polling through the load balancer is sticky by cookie; Node keeps cookies only with this (browsers do by themselves).
      withCredentials: !inBrowser,
      reconnectionDelay: this.opts.reconnectDelayMs,
      reconnectionDelayMax: this.opts.reconnectDelayMaxMs,
      timeout: this.opts.requestTimeoutMs,
      ...options.socketOptions,
    });
    this.wire();
    this.socket.connect();
  }

  // ---- what the app sees -------------------------------------------------

  get state(): ConnectionState {
    return this.connState;
  }

  get userId(): string {
    return this.session.userId;
  }

  /** Every message of every joined room, one at a time, in seq order per room. Returns an unsubscribe function. */
  onMessage(fn: (message: ChatMessage) => void): () => void {
    return this.messageListeners.add(fn);
  }

  /** The full list of a room's online members whenever it changes (`members_diff` already applied). */
  onMembers(fn: (roomId: string, members: Member[]) => void): () => void {
    return this.membersListeners.add(fn);
  }

  onState(fn: (state: ConnectionState) => void): () => void {
    return this.stateListeners.add(fn);
  }

  /** The messages not yet stored (all rooms), whenever that changes: to mark them as unsent. */
  onOutbox(fn: (pending: OutgoingMessage[]) => void): () => void {
    return this.outboxListeners.add(fn);
  }

  /** The owner of a private room took this user out of it: the room is no longer joined. */
  onRemoved(fn: (roomId: string) => void): () => void {
    return this.removedListeners.add(fn);
  }

  /** Errors nothing else reports: a room that could not be joined again, the session ending, a listener that threw. */
  onError(fn: (err: ClientError) => void): () => void {
    return this.errorListeners.add(fn);
  }

  members(roomId: string): Member[] {
    return this.rooms.get(roomId)?.members.list ?? [];
  }

  /** The newest seq handed on in a room: keep it to `join(roomId, { afterSeq })` later. */
  lastSeq(roomId: string): number | undefined {
    return this.rooms.get(roomId)?.timeline.lastSeq;
  }

  joinedRooms(): string[] {
    return [...this.rooms.keys()];
  }

  pending(roomId?: string): OutgoingMessage[] {
    return this.outbox.list(roomId);
  }

  stats(): ClientStats {
    const total: ClientStats = { delivered: 0, duplicates: 0, skipped: 0, ...this.counters };
    for (const r of this.rooms.values()) {
      total.delivered += r.timeline.stats.delivered;
      total.duplicates += r.timeline.stats.duplicates;
      total.skipped += r.timeline.stats.skipped;
    }
    return total;
  }

  // ---- requests ----------------------------------------------------------

  /**
   * Enters a room (again after every reconnect, until `leave`). Resolves once
   * the room is joined and its starting point known; rejects when the server
   * refuses for good (`not_found`, `limit_exceeded`, ...) or the client closes.
   */
  join(roomId: string, opts: JoinOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    let room = this.rooms.get(roomId);
    if (room?.joined) return Promise.resolve();
    if (!room) {
      room = {
        id: roomId,
        timeline: new RoomTimeline((m) => this.messageListeners.emit(m), { gapWaitMs: this.opts.gapWaitMs }, opts.afterSeq),
        members: new MemberList(),
        recent: Math.max(0, Math.min(opts.recent ?? 0, HISTORY_PAGE_MAX)),
        joined: false,
        joiningEpoch: undefined,
        filling: false,
        fillTimer: undefined,
        fillAt: undefined,
        waiters: [],
      };
      this.rooms.set(roomId, room);
    }
    const r = room;
    const done = new Promise<void>((resolve, reject) => r.waiters.push({ resolve, reject }));
    this.joinRoom(r);
    this.updateState();
    return done;
  }

  /** Leaves a room: no more of its messages; its unsent messages are rejected (`closed`). */
  async leave(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room) return;
    this.dropRoom(room, new ClientError('closed', 'Left the room.'));
    this.updateState();
    if (!this.socket.connected) return;
    const ack = await this.request('leave', { roomId }).catch(() => undefined);
    // not_member: the connection was not (yet) in the room, which is what leaving wants.
    if (ack && !ack.ok && ack.error?.code !== 'not_member') throw ClientError.fromBody(ack.error);
  }

  /**
   * Sends a message to a joined room. It waits in the outbox while the client
   * is offline and is sent again, with the same clientMsgId, until the server
   * acknowledges it; resolves with the stored message (stored once, however
   * often it was sent). Rejects on a permanent refusal (`too_large`, ...),
   * `leave` or `close`.
   */
  send(roomId: string, content: string): Promise<ChatMessage> {
    if (this.closed) return Promise.reject(this.closedError());
    if (!this.rooms.has(roomId)) return Promise.reject(new ClientError('not_member', 'Join the room first.'));
    if (content.length === 0) return Promise.reject(new ClientError('bad_request', 'content: must not be empty'));
    if (content.length > CONTENT_MAX && [...content].length > CONTENT_MAX) {
      return Promise.reject(new ClientError('too_large', `content must be at most ${CONTENT_MAX} characters`));
    }
    const { stored } = this.outbox.add(roomId, content, Date.now());
    this.outboxChanged();
    this.pump();
    return stored;
  }

  /**
   * A page of stored messages, oldest first: `before` pages back, `after`
   * forward. Over the socket in a joined room (one request at a time, as the
   * server wants), otherwise over REST.
   */
  history(roomId: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.socket.connected && this.rooms.get(roomId)?.joined) return this.historyRequest({ roomId, ...query });
    return restHistory(this.session.url, this.session.token, roomId, query, { timeoutMs: this.opts.requestTimeoutMs });
  }

  /** Disconnects for good: timers cleared, unsent messages and pending joins rejected (`closed`). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    const err = this.closedError();
    for (const room of this.rooms.values()) {
      if (room.fillTimer) clearTimeout(room.fillTimer);
      for (const w of room.waiters.splice(0)) w.reject(err);
    }
    this.outbox.rejectAll(err);
    this.socket.disconnect();
    this.setState('offline');
  }

  // ---- the connection ----------------------------------------------------

  private wire(): void {
    const s = this.socket;
    s.on('connect', () => {
      // Requests emitted while disconnected would go out now, after their callers gave up on them.
      s.sendBuffer = [];
      this.epoch++;
      this.counters.connects++;
      this.reconnectAttempts = 0;
      for (const room of this.rooms.values()) {
        room.joined = false;
        room.joiningEpoch = undefined;
        this.joinRoom(room);
      }
      this.updateState();
    });
    s.on('disconnect', (reason) => {
      for (const room of this.rooms.values()) room.joined = false;
      this.outbox.interrupted();
      this.outboxChanged();
      if (this.closed) return;
      // The server closed the connection: socket.io-client leaves reconnecting to us.
      if (reason === 'io server disconnect') this.reconnectLater();
      this.updateState();
    });
    s.on('connect_error', (err: Error & { data?: { retryAfterSec?: number } }) => {
      if (this.closed) return;
      if (err.message === 'unauthorized') {
        this.end(new ClientError('unauthorized', 'The session token was refused: create a new session.'));
        return;
      }
      // Refused by the server (a limit, an outage) rather than unreachable: socket.io-client does not retry by itself.
      if (!s.active) {
        const after = err.data?.retryAfterSec;
        this.reconnectLater(after !== undefined ? after * 1000 : undefined);
      }
      this.updateState();
    });
    s.on('messages', (batch: MessageBatch) => this.receive(batch.roomId, batch.messages));
    s.on('message', (m: ChatMessage) => this.receive(m.roomId, [m]));
    s.on('members', (u: MembersUpdate) => {
      const room = this.rooms.get(u.roomId);
      if (!room) return;
      room.members.replace(u.members);
      this.membersListeners.emit(room.id, room.members.list);
    });
    s.on('members_diff', (d: MembersDiff) => {
      const room = this.rooms.get(d.roomId);
      if (!room) return;
      room.members.apply(d);
      this.membersListeners.emit(room.id, room.members.list);
    });
    s.on('removed', (info: { roomId: string }) => {
      const room = this.rooms.get(info.roomId);
      if (!room) return;
      this.dropRoom(room, new ClientError('not_member', 'The room owner removed you from the room.'));
      this.removedListeners.emit(info.roomId);
      this.updateState();
    });
    s.on('chat_error', (e: ErrorBody & { event: string }) => {
      if (e.code === 'unauthorized' && e.event === 'session') {
        this.end(new ClientError('unauthorized', 'The session expired: create a new session.'));
        return;
      }
      this.errorListeners.emit(ClientError.fromBody(e));
    });
  }

  /** The session is over (its token was refused or expired): offline for good. */
  private end(err: ClientError): void {
    this.ended = err;
    this.errorListeners.emit(err);
    this.close();
  }

  private reconnectLater(delayMs?: number): void {
    if (this.closed) return;
    const backoff = Math.min(this.opts.reconnectDelayMs * 2 ** this.reconnectAttempts++, this.opts.reconnectDelayMaxMs);
    const delay = delayMs ?? backoff * (0.5 + Math.random() / 2);
    this.later(delay, () => {
      if (!this.socket.connected && !this.closed) this.socket.connect();
    });
  }

  private updateState(): void {
    if (this.closed) return;
    if (!this.socket.connected) {
      this.setState(this.counters.connects === 0 ? 'connecting' : 'reconnecting');
      return;
    }
    if ([...this.rooms.values()].every((r) => r.joined)) this.setState('online');
  }

  private setState(state: ConnectionState): void {
    if (this.connState === state) return;
    this.connState = state;
    this.stateListeners.emit(state);
  }

  // ---- rooms -------------------------------------------------------------

  private joinRoom(room: Room): void {
    if (this.closed || !this.socket.connected || room.joined || room.joiningEpoch === this.epoch) return;
    const epoch = this.epoch;
    room.joiningEpoch = epoch;
    void this.doJoin(room, epoch).then(
      (catchUp) => {
        if (this.epoch !== epoch || this.rooms.get(room.id) !== room) return;
        room.joiningEpoch = undefined;
        room.joined = true;
        for (const w of room.waiters.splice(0)) w.resolve();
        this.updateState();
        this.pump();
        if (catchUp) void this.fill(room, epoch).catch(() => undefined);
        else this.scheduleFill(room);
      },
      (err: ClientError) => {
        if (this.epoch !== epoch || this.rooms.get(room.id) !== room) return;
        room.joiningEpoch = undefined;
        if (isTransient(err)) {
          // Still connected: try again. Disconnected: the next connection joins every room.
          if (this.socket.connected) this.later(retryDelay(err, this.opts.reconnectDelayMs), () => this.joinRoom(room));
          return;
        }
        this.dropRoom(room, err);
        this.errorListeners.emit(err);
        this.updateState();
      },
    );
  }

  /**
   * Joins (again) on connection `epoch`. A room with a known last seq asks the
   * server to replay what came after it; a server that did not (an older one,
   * or too much missed: `resumed: false`) is caught up from history. A fresh
   * room reads the newest page to learn where it starts. Resolves with
   * whether the room still needs catching up from history.
   */
  private async doJoin(room: Room, epoch: number): Promise<boolean> {
    const after = room.timeline.lastSeq;
    const ack = await this.request<{ resumed?: boolean; newestSeq?: number }>(
      'join',
      after === undefined ? { roomId: room.id } : { roomId: room.id, afterSeq: after },
    );
    if (!ack.ok) throw ClientError.fromBody(ack.error);
    if (this.epoch !== epoch) return false;
    if (after === undefined) {
      const page = await this.historyRequest({ roomId: room.id, limit: Math.max(room.recent, 1) });
      const newest = page.messages.length > 0 ? page.messages[page.messages.length - 1]!.seq : 0;
      const first = room.recent > 0 ? page.messages[Math.max(0, page.messages.length - room.recent)] : undefined;
      room.timeline.start(first ? first.seq - 1 : newest, page.messages);
      return false;
    }
    // Not replayed (a server without resume, or more missed than it replays): everything stored
    // before the join is in history, everything after it arrives live.
    return ack.resumed !== true;
  }

  private dropRoom(room: Room, err: ClientError): void {
    if (this.rooms.get(room.id) !== room) return;
    this.rooms.delete(room.id);
    if (room.fillTimer) clearTimeout(room.fillTimer);
    for (const w of room.waiters.splice(0)) w.reject(err);
    this.outbox.dropRoom(room.id, err);
    this.outboxChanged();
  }

  // ---- messages: order, gaps, duplicates --------------------------------

  private receive(roomId: string, messages: ChatMessage[]): void {
    const room = this.rooms.get(roomId);
    if (!room || !Array.isArray(messages)) return;
    room.timeline.receive(messages);
    this.scheduleFill(room);
  }

  /** Arms the room's gap timer for when history can decide its gap. */
  private scheduleFill(room: Room): void {
    if (this.closed || room.filling) return;
    const at = room.timeline.nextCheckAt();
    if (at === undefined) {
      if (room.fillTimer) clearTimeout(room.fillTimer);
      room.fillTimer = undefined;
      room.fillAt = undefined;
      return;
    }
    if (room.fillTimer && room.fillAt !== undefined && room.fillAt <= at) return;
    if (room.fillTimer) clearTimeout(room.fillTimer);
    room.fillAt = at;
    room.fillTimer = setTimeout(
      () => {
        room.fillTimer = undefined;
        room.fillAt = undefined;
        if (room.joined && this.socket.connected) void this.fill(room, this.epoch).catch(() => undefined);
      },
      Math.max(0, at - Date.now()),
    );
  }

  /**
   * Reads forward from the room's last seq until history has nothing newer
   * (catching up) or the gap is decided; a failed read is retried while the
   * connection lasts.
   */
  private async fill(room: Room, epoch: number): Promise<void> {
    if (room.filling) return;
    room.filling = true;
    try {
      for (;;) {
        const from = room.timeline.lastSeq;
        if (from === undefined || this.epoch !== epoch || this.rooms.get(room.id) !== room) return;
        const startedAt = Date.now();
        this.counters.fills++;
        const page = await this.historyRequest({ roomId: room.id, after: from, limit: HISTORY_PAGE_MAX });
        if (this.epoch !== epoch || this.rooms.get(room.id) !== room) return;
        room.timeline.fill(from, page.messages, startedAt);
        if (!page.hasMore || (room.timeline.lastSeq ?? from) <= from) return;
      }
    } catch (err) {
      const e = err instanceof ClientError ? err : new ClientError('internal', String(err));
      if (this.epoch === epoch && this.socket.connected && isTransient(e)) {
        this.later(retryDelay(e, this.opts.reconnectDelayMs), () => {
          if (room.joined) void this.fill(room, epoch).catch(() => undefined);
        });
      }
      throw e;
    } finally {
      room.filling = false;
      this.scheduleFill(room);
    }
  }

  // ---- the outbox --------------------------------------------------------

  /** Sends what is due; re-arms itself for the next retry time. */
  private pump(): void {
    if (this.closed) return;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    const connected = this.socket.connected;
    const due = this.outbox.due(Date.now(), (roomId) => connected && this.rooms.get(roomId)?.joined === true, this.opts.maxInFlight);
    for (const item of due) void this.sendOne(item);
    if (due.length > 0) this.outboxChanged();
    const next = this.outbox.nextRetryAt();
    if (next !== undefined) this.pumpTimer = setTimeout(() => this.pump(), Math.max(0, next - Date.now()));
  }

  private async sendOne(item: OutgoingMessage): Promise<void> {
    try {
      const ack = await this.request<{ message: ChatMessage }>('message', { roomId: item.roomId, content: item.content, clientMsgId: item.clientMsgId });
      if (ack.ok) {
        this.outbox.acked(item.clientMsgId, ack.message as ChatMessage);
      } else {
        const err = ClientError.fromBody(ack.error);
        // The server does not see this connection in the room (it was never re-entered): join again, then resend.
        const room = this.rooms.get(item.roomId);
        if (err.code === 'not_member' && room) {
          room.joined = false;
          this.joinRoom(room);
        }
        this.outbox.failed(item.clientMsgId, item.attempts, err, Date.now());
      }
    } catch (err) {
      this.outbox.failed(item.clientMsgId, item.attempts, err instanceof ClientError ? err : new ClientError('network', String(err)), Date.now());
    }
    this.outboxChanged();
    this.pump();
  }

  /** Outbox listeners hear once per turn, however many changes it had. */
  private outboxChanged(): void {
    if (this.outboxDirty) return;
    this.outboxDirty = true;
    queueMicrotask(() => {
      this.outboxDirty = false;
      this.outboxListeners.emit(this.outbox.list());
    });
  }

  // ---- requests ----------------------------------------------------------

  /** One request with its ack; rejects with `network` when the connection goes, `timeout` without an answer. */
  private request<T extends object = object>(event: string, payload: unknown): Promise<Ack<T>> {
    const s = this.socket;
    if (!s.connected) return Promise.reject(new ClientError('network', 'Not connected.'));
    return new Promise((resolve, reject) => {
      s.timeout(this.opts.requestTimeoutMs).emit(event, payload, (err: Error | null, reply: Ack<T>) => {
        if (!err) resolve(reply);
        else reject(new ClientError(s.connected ? 'timeout' : 'network', `${event}: ${s.connected ? 'no answer in time' : 'the connection was lost'}`));
      });
    });
  }

  /** History over the socket: one request at a time per connection (the server refuses a second), rate limits waited out. */
  private historyRequest(req: { roomId: string } & HistoryQuery): Promise<HistoryPage> {
    const run = async (): Promise<HistoryPage> => {
      for (let attempt = 0; ; attempt++) {
        const ack = await this.request<HistoryPage>('history', req);
        if (ack.ok) return { messages: ack.messages ?? [], hasMore: ack.hasMore === true };
        const err = ClientError.fromBody(ack.error);
        if (err.code !== 'rate_limited' || attempt >= 5) throw err;
        await this.sleep(retryDelay(err, 200));
      }
    };
    const result = this.historyChain.then(run, run);
    this.historyChain = result.catch(() => undefined);
    return result;
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) reject(this.closedError());
      else this.later(ms, resolve);
    });
  }

  private closedError(): ClientError {
    return this.ended ?? new ClientError('closed', 'The client is closed.');
  }

  private reportListenerError(err: unknown): void {
    this.errorListeners.emit(
      err instanceof ClientError ? err : new ClientError('internal', `a listener threw: ${err instanceof Error ? err.message : String(err)}`),
    );
  }
}

function retryDelay(err: ClientError, fallbackMs: number): number {
  return err.retryAfterSec !== undefined ? err.retryAfterSec * 1000 : fallbackMs;
}

/** Opens a client for a session (from `createSession`); it connects, and reconnects, by itself. */
export function connect(session: Session, options: ConnectOptions = {}): ChatClient {
  return new ChatClient(session, options);
}
