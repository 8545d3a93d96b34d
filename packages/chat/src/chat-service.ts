import { randomUUID } from 'node:crypto';
import {
  ChatError,
  LIMITS,
  isChatError,
  historyRequestSchema,
  parseOrThrow,
  sendMessageSchema,
  sessionRequestSchema,
} from '@chat/protocol';
import type { ChatMessage, HistoryPage, Member, RoomView, SessionView, SystemEvent, UserView } from '@chat/protocol';
import type { ChatStore, StoredMessage } from '@chat/store';
import type { Departure, PresenceStore } from '@chat/presence';
import type { SeqAllocator } from '@chat/fanout';
import type { RateLimiter } from '@chat/ratelimit';
import type { SessionClaims, TokenService } from '@chat/auth';
import type { MessageWriter } from './message-writer';
import { toChatMessage, toRoomView, toUserView } from './views';

export interface ChatDeps {
  store: ChatStore;
  presence: PresenceStore;
  seq: SeqAllocator;
  writer: MessageWriter;
  tokens: TokenService;
  messageLimiter: RateLimiter;
  sessionLimiter: RateLimiter;
  /** Socket handshakes per user (each can post a join and a leave announcement). */
  connectLimiter: RateLimiter;
  /**
   * Join and leave announcements are posted while the room has at most this
   * many online users (the joiner or leaver counted). In bigger rooms n joins
   * would cost n²/2 deliveries; their members learn who is online from the
   * coalesced `members` event instead. Default: no limit.
   */
  announceMaxMembers?: number;
  /** Seconds a send spent in one stage of its path to the ack (admit: rate limit and dedupe; seq; commit). */
  onSendStage?: (stage: SendStage, seconds: number) => void;
  /**
   * A seq was reserved for a send that was then refused (rate limit, an already
   * stored clientMsgId): it will never be stored, and the room's nodes should
   * move past it at once (RoomBus.publishSkipped).
   */
  onSeqSkipped?: (roomId: string, seq: number) => void;
  /** A room's member list changed (a user's first connection came or last one went), announced or not. */
  onMembersChanged?: (roomId: string) => void;
  now?: () => number;
}

export type SendStage = 'admit' | 'seq' | 'commit';

/** The chat domain: everything the REST API and the socket gateway do, minus transport. */
export type ChatService = ReturnType<typeof createChatService>;

export function createChatService(deps: ChatDeps) {
  const now = deps.now ?? Date.now;
  /** Sends in flight by (room, user, clientMsgId), so a retry racing its original gets the same message. */
  const inFlight = new Map<string, Promise<ChatMessage>>();
  /** Runs one stage of a send and reports how long it took (failures included). */
  async function timed<T>(stage: SendStage, op: () => Promise<T>): Promise<T> {
    if (!deps.onSendStage) return op();
    const started = process.hrtime.bigint();
    try {
      return await op();
    } finally {
      deps.onSendStage(stage, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  async function guardStore<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof ChatError) throw err;
      throw new ChatError('unavailable', 'The message store is unavailable; retry later.');
    }
  }

  async function requireRoom(roomId: string) {
    const room = await guardStore(() => deps.store.getRoom(roomId));
    if (!room) throw new ChatError('not_found', 'No such room.');
    return room;
  }

  /** The room's next seq. Handled at once: a refused send may never await it. */
  function reserveSeq(roomId: string): Promise<number> {
    const reserved = timed('seq', () => guardRedis(() => deps.seq.reserve(roomId, 1)));
    reserved.catch(() => undefined);
    return reserved;
  }

  /** A reserved seq that will never be stored: the room's nodes skip it instead of waiting for it. */
  function skipSeq(roomId: string, reserved: Promise<number>): void {
    reserved.then((seq) => deps.onSeqSkipped?.(roomId, seq), () => undefined);
  }

  /** Stores durably with its seq (group commit) and lets the writer fan it out. */
  async function storeNew(
    fields: Omit<StoredMessage, 'id' | 'seq' | 'sentAt'>,
    reserved = reserveSeq(fields.roomId),
  ): Promise<ChatMessage> {
    const seq = await reserved;
    const message: StoredMessage = { ...fields, id: randomUUID(), seq, sentAt: now() };
    await timed('commit', () => guardStore(() => deps.writer.write(message)));
    return toChatMessage(message);
  }

  /**
   * Users the rate limiter refused, until the retry time it gave them (whole
   * seconds, as the client is told): their sends are refused here, without
   * Redis and without taking a seq.
   */
  const refusedUntil = new Map<string, number>();

  function refuseIfLimited(userId: string): void {
    const until = refusedUntil.get(userId);
    if (until === undefined) return;
    const leftMs = until - now();
    if (leftMs <= 0) {
      refusedUntil.delete(userId);
      return;
    }
    const retryAfterSec = Math.max(1, Math.ceil(leftMs / 1000));
    throw new ChatError('rate_limited', `Too many requests; retry in ${retryAfterSec} s.`, retryAfterSec);
  }

  async function consumeMessagePoint(userId: string): Promise<void> {
    try {
      await deps.messageLimiter.consume(userId);
    } catch (err) {
      if (isChatError(err, 'rate_limited') && err.retryAfterSec) {
        if (refusedUntil.size >= 10_000) pruneExpired(refusedUntil, now());
        refusedUntil.set(userId, now() + err.retryAfterSec * 1000);
      }
      throw err;
    }
  }

  /** Whether a join or leave in a room that now has `online` users (the mover included) is announced. */
  async function announces(roomId: string, countMover: 0 | 1): Promise<boolean> {
    if (deps.announceMaxMembers === undefined) return true;
    const online = await guardRedis(() => deps.presence.onlineCount(roomId));
    return online + countMover <= deps.announceMaxMembers;
  }

  async function postSystem(roomId: string, member: Member, event: SystemEvent): Promise<ChatMessage> {
    const verb = event === 'join' ? 'joined' : 'left';
    return storeNew({
      roomId,
      userId: member.userId,
      nickName: member.nickName,
      content: `${member.nickName} ${verb} the room`,
      kind: 'system',
      event,
    });
  }

  /**
   * A user's send. The seq is reserved alongside the rate-limit check (two
   * independent Redis commands, pipelined), so the ack waits for one round trip
   * less; a send refused after its seq was taken has that seq skipped, so
   * receivers do not wait for it.
   *
   * A resent clientMsgId is not looked up before the write: the unique index
   * on (room, user, clientMsgId) refuses the duplicate row, the writer commits
   * its neighbours without it, and only then is the stored message read. The
   * common send costs no database read at all.
   */
  async function sendNew(who: SessionClaims, roomId: string, content: string, clientMsgId?: string): Promise<ChatMessage> {
    refuseIfLimited(who.userId);
    const reserved = reserveSeq(roomId);
    try {
      await timed('admit', () => consumeMessagePoint(who.userId));
    } catch (err) {
      skipSeq(roomId, reserved);
      throw err;
    }
    try {
      const fields = { roomId, userId: who.userId, nickName: who.nickName, content, kind: 'user' as const };
      return await storeNew(clientMsgId === undefined ? fields : { ...fields, clientMsgId }, reserved);
    } catch (err) {
      if (clientMsgId === undefined) throw err;
      // Already stored (a resend), or stored by the same send racing on another node: answer with the stored one.
      const stored = await deps.store.findByClientMsgId(roomId, who.userId, clientMsgId).catch(() => undefined);
      if (!stored) throw err;
      const ours = await reserved.catch(() => undefined);
      if (ours !== undefined && ours !== stored.seq) skipSeq(roomId, reserved);
      return toChatMessage(stored);
    }
  }

  return {
    async createSession(input: unknown, clientKey: string): Promise<SessionView> {
      const req = parseOrThrow(sessionRequestSchema, input);
      await deps.sessionLimiter.consume(clientKey);
      const t = now();
      return guardStore(async () => {
        const room = await deps.store.upsertRoom(req.chatroomName, t);
        const user = await deps.store.upsertUser(req.nickName, req.headNum, t);
        await deps.store.addMembership(room.id, user.id, t);
        const token = await deps.tokens.issue({ userId: user.id, nickName: user.nickName, headNum: user.headNum });
        return { token, userId: user.id, roomId: room.id, nickName: user.nickName, chatroomName: room.name, headNum: user.headNum };
      });
    },

    countRooms: () => guardStore(() => deps.store.countRooms()),

    async getRoom(roomId: string): Promise<RoomView> {
      const room = await requireRoom(roomId);
      return toRoomView(room, await guardRedis(() => deps.presence.onlineCount(roomId)));
    },

    async getUser(userId: string): Promise<UserView> {
      const user = await guardStore(() => deps.store.getUser(userId));
      if (!user) throw new ChatError('not_found', 'No such user.');
      return toUserView(user, await guardRedis(() => deps.presence.isUserOnline(userId)));
    },

    async members(roomId: string): Promise<Member[]> {
      return guardRedis(() => deps.presence.members(roomId));
    },

    isOnlineIn: (roomId: string, userId: string) => guardRedis(() => deps.presence.isOnline(roomId, userId)),

    /** REST reads: allowed to users who have entered the room. */
    async historyFor(who: SessionClaims, input: unknown): Promise<HistoryPage> {
      const req = parseOrThrow(historyRequestSchema, input);
      // A membership implies the room: one look-up on the happy path, a second only to name the error.
      const member = await guardStore(() => deps.store.isMember(req.roomId, who.userId));
      if (!member) {
        await requireRoom(req.roomId);
        throw new ChatError('not_member', 'Enter the room before reading it.');
      }
      return this.history(req);
    },

    /** Socket reads: the gateway has already checked that the socket is in the room. */
    async history(req: { roomId: string; before?: number; limit?: number }): Promise<HistoryPage> {
      const page = await guardStore(() =>
        deps.store.history(req.roomId, { before: req.before, limit: req.limit ?? LIMITS.historyDefault }),
      );
      return { messages: page.messages.map(toChatMessage), hasMore: page.hasMore };
    },

    parseHistory: (input: unknown) => parseOrThrow(historyRequestSchema, input),

    /** Stored messages with afterSeq < seq <= uptoSeq: how a socket node fills a gap in what the bus delivered. */
    async range(roomId: string, afterSeq: number, uptoSeq: number): Promise<ChatMessage[]> {
      return (await deps.store.range(roomId, afterSeq, uptoSeq)).map(toChatMessage);
    },

    /** Parses and checks a send; the caller has verified the socket is in the room. */
    parseSend(input: unknown) {
      const req = parseOrThrow(sendMessageSchema, input);
      if (req.content.length > LIMITS.contentMax) {
        throw new ChatError('too_large', `content must be at most ${LIMITS.contentMax} characters`);
      }
      return req;
    },

    /** Stores a user message and fans it out; resolves after it is durable. Same clientMsgId, same message. */
    async postMessage(who: SessionClaims, req: { roomId: string; content: string; clientMsgId?: string }): Promise<ChatMessage> {
      if (!req.clientMsgId) return sendNew(who, req.roomId, req.content);
      const key = `${req.roomId}\u0000${who.userId}\u0000${req.clientMsgId}`;
      const running = inFlight.get(key);
      if (running) return running;
      const sending = sendNew(who, req.roomId, req.content, req.clientMsgId).finally(() => inFlight.delete(key));
      inFlight.set(key, sending);
      return sending;
    },

    /** Spends one of the user's socket handshakes; throws `rate_limited` (with retryAfterSec) past the budget. */
    async admitConnection(who: SessionClaims): Promise<void> {
      await deps.connectLimiter.consume(who.userId);
    },

    /**
     * A `join` request can post a join announcement (and its leave one later), so it spends one of
     * the user's message points: a join/leave loop is held to the message rate.
     */
    async chargeJoin(who: SessionClaims): Promise<void> {
      refuseIfLimited(who.userId);
      await consumeMessagePoint(who.userId);
    },

    /** The room's highest seq handed out so far: every later message has a higher one. */
    highestSeq(roomId: string): Promise<number> {
      return deps.seq.highest(roomId);
    },

    /** Checks the room and records the user as a member (durable) before a socket joins it. */
    async admit(roomId: string, who: SessionClaims): Promise<void> {
      await requireRoom(roomId);
      await guardStore(() => deps.store.addMembership(roomId, who.userId, now()));
    },

    /** A connection is in the room: presence, and a join message when it is the user's first (in rooms up to `announceMaxMembers`). */
    async enter(roomId: string, who: SessionClaims, connId: string): Promise<void> {
      const member: Member = { userId: who.userId, nickName: who.nickName, headNum: who.headNum };
      const { firstForUser } = await guardRedis(() => deps.presence.join(roomId, member, connId));
      if (!firstForUser) return;
      deps.onMembersChanged?.(roomId);
      if (await announces(roomId, 0)) await postSystem(roomId, member, 'join');
    },

    /**
     * A connection left the room: presence, and a leave message when it was the user's last (in rooms
     * up to `announceMaxMembers`). `announce: false` undoes a join that was never announced.
     */
    async exit(roomId: string, userId: string, connId: string, opts: { announce?: boolean } = {}): Promise<void> {
      const { lastForUser, member } = await guardRedis(() => deps.presence.leave(roomId, userId, connId));
      if (!lastForUser) return;
      deps.onMembersChanged?.(roomId);
      if (opts.announce !== false && member && (await announces(roomId, 1))) await postSystem(roomId, member, 'leave');
    },

    /** Leave messages for users whose connections vanished (node crash or shutdown). */
    async announceDepartures(departures: Departure[]): Promise<void> {
      await Promise.all(
        departures.map(async (d) => {
          deps.onMembersChanged?.(d.roomId);
          if (await announces(d.roomId, 1)) await postSystem(d.roomId, d.member, 'leave');
        }),
      );
    },
  };
}

function pruneExpired(until: Map<string, number>, now: number): void {
  for (const [key, t] of until) if (t <= now) until.delete(key);
}

async function guardRedis<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof ChatError) throw err;
    throw new ChatError('unavailable', 'Presence is unavailable; retry later.');
  }
}
