import { ChatError, LIMITS } from '@chat/protocol';
import type { ChatMessage, CreateRoomRequest, HistoryPage, HistoryRequest, Member, RoomView, ServerMessageRequest, UserView } from '@chat/protocol';
import type { AppTokenVerifier, SessionClaims, TokenService } from '@chat/auth';
import type { ChatStore } from '@chat/store';
import type { PresenceStore } from '@chat/presence';
import type { RoomPublisher, SeqAllocator } from '@chat/fanout';
import type { RateLimiter } from '@chat/ratelimit';
import { createRoomAccess } from './access';
import type { Caller } from './access';
import { createMessagePath } from './message-path';
import type { GroupCommitOptions, MessagePathObserver } from './message-path';
import { createOutbox } from './outbox';
import type { OutboxObserver } from './outbox';
import { createRoster } from './roster';
import { createSessions } from './sessions';
import { cachedFor, guardStore } from './guards';
import { toChatMessage, toRoomView, toUserView } from './views';

/** The budgets the domain spends; cluster-wide in Redis, per process when embedded. */
export interface ChatLimiters {
  /** Messages and `join` requests per user. */
  message: RateLimiter;
  /** Sessions (guest and app) per client address. */
  session: RateLimiter;
  /** Socket handshakes per user (each can post a join and a leave announcement). */
  connect: RateLimiter;
  /** Socket handshakes per client address. */
  connectAddress: RateLimiter;
  /** History reads per user (a page is up to 200 messages). */
  history: RateLimiter;
}

export interface ChatDeps {
  store: ChatStore;
  presence: PresenceStore;
  seq: SeqAllocator;
  /** Where what happens in a room is told to the room's nodes (the sending half of the room bus). */
  publisher: RoomPublisher;
  tokens: TokenService;
  /** App-issued identity; absent when not configured. */
  appTokens?: AppTokenVerifier;
  limits: ChatLimiters;
  groupCommit: GroupCommitOptions;
  /** False: nickname sessions are refused (`GUEST_SESSIONS=off`). Default true. */
  guestSessions?: boolean;
  /** See roster.ts. Default: announce in every room. */
  announceMaxMembers?: number;
  observer?: ChatObserver;
  now?: () => number;
}

/** Everything the domain reports; the composition root turns it into logs and metrics. */
export interface ChatObserver extends MessagePathObserver, OutboxObserver {
  departuresFailed?(err: unknown): void;
}

/** The identity the server API posts system messages as when it names no user. */
export const SERVER_IDENTITY = { userId: `user_${'0'.repeat(32)}`, nickName: 'server' } as const;

/** The chat domain: everything the REST API and the socket gateway do, minus transport. */
export type ChatService = ReturnType<typeof createChatService>;

export function createChatService(deps: ChatDeps) {
  const now = deps.now ?? Date.now;
  const { store, limits, observer } = deps;
  const outbox = createOutbox(deps.publisher, observer);
  const messages = createMessagePath({ store, seq: deps.seq, outbox, messageLimiter: limits.message, groupCommit: deps.groupCommit, observer, now });
  const access = createRoomAccess({ store, now });
  const roster = createRoster({
    presence: deps.presence,
    messages,
    outbox,
    ...(deps.announceMaxMembers !== undefined ? { announceMaxMembers: deps.announceMaxMembers } : {}),
    onDeparturesFailed: (err) => observer?.departuresFailed?.(err),
  });
  const sessions = createSessions({
    store,
    tokens: deps.tokens,
    ...(deps.appTokens ? { appTokens: deps.appTokens } : {}),
    sessionLimiter: limits.session,
    access,
    guestSessions: deps.guestSessions ?? true,
    now,
  });
  // Anyone may ask, in a loop: one count query per node per second at most.
  const countRooms = cachedFor(1000, () => guardStore(() => store.countRooms()), now);

  async function readHistory(roomId: string, req: Omit<HistoryRequest, 'roomId'>): Promise<HistoryPage> {
    const limit = req.limit ?? LIMITS.historyDefault;
    const query = req.after !== undefined ? { after: req.after, limit } : { ...(req.before !== undefined ? { before: req.before } : {}), limit };
    const page = await guardStore(() => store.history(roomId, query));
    return { messages: page.messages.map(toChatMessage), hasMore: page.hasMore };
  }

  return {
    // Sessions: the two ways in (sessions.ts).
    createGuestSession: sessions.guest,
    exchangeAppToken: sessions.exchange,
    appSessions: sessions.appSessions,

    // Rooms and who may see them (access.ts).
    countRooms,

    async getRoom(roomId: string, who?: Caller): Promise<RoomView> {
      const room = await access.requireVisible(roomId, who);
      return toRoomView(room, await roster.onlineCount(roomId));
    },

    async createRoom(who: SessionClaims, req: CreateRoomRequest): Promise<RoomView> {
      return toRoomView(await access.createRoom(who, req), 0);
    },

    grantAccess: access.grant,

    /** The owner removes a user from a private room; the user's sockets leave it on every node. */
    async revokeAccess(who: SessionClaims, roomId: string, userId: string): Promise<void> {
      await access.revoke(who, roomId, userId);
      await outbox.revoked(roomId, userId);
    },

    /** Whether this socket's user may (still) enter the room: private rooms re-checked after a revocation. */
    async mayEnter(roomId: string, who: SessionClaims): Promise<boolean> {
      return access.mayEnter(await access.requireRoom(roomId), who);
    },

    async members(roomId: string, who?: Caller): Promise<Member[]> {
      await access.requireVisible(roomId, who);
      return roster.members(roomId);
    },

    /** Who is online in the room, for the nodes that deliver its member list (no access check: they only serve admitted sockets). */
    onlineMembers: roster.members,

    /** The seed route's check: true while the user is online in a room anyone may see. */
    async isOnlineIn(roomId: string, userId: string): Promise<boolean> {
      const room = await guardStore(() => store.getRoom(roomId));
      if (!room || room.visibility !== 'public') return false;
      return roster.isOnline(roomId, userId);
    },

    async getUser(userId: string): Promise<UserView> {
      const user = await guardStore(() => store.getUser(userId));
      if (!user) throw new ChatError('not_found', 'No such user.');
      return toUserView(user, await roster.isUserOnline(userId));
    },

    // History.
    /** REST reads: by users who have entered the room (and may still see it), within the history budget. */
    async historyFor(who: SessionClaims, req: HistoryRequest): Promise<HistoryPage> {
      await limits.history.consume(who.userId);
      // The checks and the page are read side by side, one round trip instead of two; the page is
      // returned only when both checks pass, and a room the caller may not see is not_found first.
      const [visible, member, page] = await Promise.allSettled([
        access.requireVisible(req.roomId, who),
        guardStore(() => store.isMember(req.roomId, who.userId)),
        readHistory(req.roomId, req),
      ]);
      if (visible.status === 'rejected') throw visible.reason;
      if (member.status === 'rejected') throw member.reason;
      if (!member.value) throw new ChatError('not_member', 'Enter the room before reading it.');
      if (page.status === 'rejected') throw page.reason;
      return page.value;
    },

    /** Socket reads: the gateway has checked that the socket is in the room. */
    async history(who: SessionClaims, req: HistoryRequest): Promise<HistoryPage> {
      await limits.history.consume(who.userId);
      return readHistory(req.roomId, req);
    },

    /** Stored messages with afterSeq < seq <= uptoSeq: how a socket node fills a gap in what the bus delivered. */
    async range(roomId: string, afterSeq: number, uptoSeq: number): Promise<ChatMessage[]> {
      return (await store.range(roomId, afterSeq, uptoSeq)).map(toChatMessage);
    },

    /** The oldest `limit` stored messages after `afterSeq`: what a resuming socket missed (no history budget: it is a reconnect). */
    async messagesAfter(roomId: string, afterSeq: number, limit: number): Promise<ChatMessage[]> {
      return (await guardStore(() => store.history(roomId, { after: afterSeq, limit }))).messages.map(toChatMessage);
    },

    /** The room's highest seq handed out so far: every later message has a higher one. */
    highestSeq: (roomId: string): Promise<number> => deps.seq.highest(roomId),

    // Messages (message-path.ts).
    /** A user's send; the caller has verified the socket is in the room. Resolves after it is durable. */
    send(who: SessionClaims, req: { roomId: string; content: string; clientMsgId?: string }): Promise<ChatMessage> {
      const fields = { roomId: req.roomId, userId: who.userId, nickName: who.nickName, content: req.content, kind: 'user' as const };
      return messages.send(req.clientMsgId === undefined ? fields : { ...fields, clientMsgId: req.clientMsgId });
    },

    /** The server API's send (an app backend holding a server key): as a user, or as the server itself. */
    async postAsServer(roomId: string, req: ServerMessageRequest): Promise<ChatMessage> {
      await access.requireRoom(roomId);
      const as = req.as ? await guardStore(() => store.getUser(req.as!.userId)) : undefined;
      if (req.as && !as) throw new ChatError('not_found', 'No such user.');
      const author = as ? { userId: as.id, nickName: as.nickName } : SERVER_IDENTITY;
      const fields = { roomId, ...author, content: req.content, kind: req.kind };
      return messages.post(req.clientMsgId === undefined ? fields : { ...fields, clientMsgId: req.clientMsgId });
    },

    // Connections and rooms of a socket.
    /** Spends one of the user's and one of the address's socket handshakes; `rate_limited` past either budget. */
    async admitConnection(who: SessionClaims, address: string): Promise<void> {
      await limits.connectAddress.consume(address);
      await limits.connect.consume(who.userId);
    },

    /** A `join` can post a join announcement (and its leave one later): it spends one of the user's message points. */
    chargeJoin: (who: SessionClaims): Promise<void> => messages.chargeMessagePoint(who.userId),

    /** Checks the room and the user's access, and records the user as a member (durable) before a socket joins it. */
    async admit(roomId: string, who: SessionClaims): Promise<void> {
      await access.requireVisible(roomId, who);
      await guardStore(() => store.addMembership(roomId, who.userId, now()));
    },

    enter: roster.enter,
    exit: roster.exit,

    /** Commits what is queued, waits for commits in flight; later sends are refused. Idempotent. */
    async close(): Promise<void> {
      await messages.close();
      outbox.close();
    },
  };
}
