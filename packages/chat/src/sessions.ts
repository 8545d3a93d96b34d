import { ChatError } from '@chat/protocol';
import type { AppSessionView, SessionRequest, SessionView } from '@chat/protocol';
import { hashUserKey, newUserKey, userKeyMatches } from '@chat/auth';
import type { AppTokenVerifier, SessionClaims, TokenService } from '@chat/auth';
import type { RateLimiter } from '@chat/ratelimit';
import type { ChatStore, GuestRecord, RoomRecord } from '@chat/store';
import type { RoomAccess } from './access';
import { guardStore } from './guards';

export interface SessionDeps {
  store: ChatStore;
  tokens: TokenService;
  /** Absent: app-issued identity is not configured, and the exchange route does not exist. */
  appTokens?: AppTokenVerifier;
  sessionLimiter: RateLimiter;
  access: RoomAccess;
  /** False: only app users get sessions (GUEST_SESSIONS=off). */
  guestSessions: boolean;
  now: () => number;
}

/** Where a session request comes from: the address it is budgeted by, and the bearer token it may carry as proof. */
export interface SessionContext {
  clientKey: string;
  bearer?: string;
}

/**
 * The two ways in. A guest names itself: the first session for a nickName
 * creates the user and hands out, once, the key that proves it later (only its
 * hash is stored); a later session for that nickName must show the key or a
 * valid token of that user, or it is `nickname_taken`. An app vouches for its
 * own users with a JWT it signs; the chat user id is derived from the app's
 * `sub`, in a namespace no guest id can enter.
 */
export function createSessions(deps: SessionDeps) {
  const { store, tokens, access, now } = deps;

  /** The caller's guest identity from its bearer token, if it holds a valid one (anything else is no proof). */
  async function bearerGuest(bearer: string | undefined): Promise<SessionClaims | undefined> {
    if (!bearer) return undefined;
    const claims = await tokens.verify(bearer).catch(() => undefined);
    return claims?.kind === 'guest' ? claims : undefined;
  }

  /**
   * Whether the caller may be this existing guest: it shows the guest's key or
   * a valid token of it (`nickname_taken` otherwise). A guest from before keys
   * has none to show: the first session after the upgrade claims it.
   */
  async function checkProof(guest: GuestRecord, req: SessionRequest, ctx: SessionContext): Promise<'proven' | 'unkeyed'> {
    if (guest.keyHash === undefined) return 'unkeyed';
    if (req.userKey !== undefined && userKeyMatches(req.userKey, guest.keyHash)) return 'proven';
    if ((await bearerGuest(ctx.bearer))?.userId === guest.id) return 'proven';
    throw new ChatError('nickname_taken');
  }

  /** The guest this session is for, created or given its key when needed; the key is returned only then. */
  async function resolveGuest(
    req: SessionRequest,
    ctx: SessionContext,
    existing: GuestRecord | undefined,
    proof: 'proven' | 'unkeyed' | undefined,
  ): Promise<{ guest: GuestRecord; userKey?: string }> {
    const userKey = newUserKey();
    if (existing && proof === 'proven') return { guest: existing };
    if (existing) {
      // One statement decides which of two racing claimants of a guest from before keys gets it.
      if (await guardStore(() => store.setGuestKeyIfMissing(existing.id, hashUserKey(userKey), now()))) return { guest: existing, userKey };
      throw new ChatError('nickname_taken');
    }
    const made = await guardStore(() => store.createGuest(req.nickName, req.headNum ?? 0, hashUserKey(userKey), now()));
    if (made.created) return { guest: made.guest, userKey };
    // Lost the race for the nickName to another first session: the winner holds it now.
    await checkProof(made.guest, req, ctx);
    return { guest: made.guest };
  }

  /** The room a session enters: public ones are created on first use; a private one only for callers who may enter it. */
  async function roomFor(name: string, existing: RoomRecord | undefined, who: SessionClaims | undefined): Promise<RoomRecord> {
    const room = existing ?? (await guardStore(() => store.upsertRoom(name, now())));
    if (!(await access.mayEnter(room, who))) throw new ChatError('not_found', 'No such room.');
    return room;
  }

  function claimsOf(guest: GuestRecord): SessionClaims {
    return { userId: guest.id, nickName: guest.nickName, headNum: guest.headNum, kind: 'guest' };
  }

  return {
    async guest(req: SessionRequest, ctx: SessionContext): Promise<SessionView> {
      if (!deps.guestSessions) throw new ChatError('forbidden', 'This server accepts only users signed in by its app.');
      await deps.sessionLimiter.consume(ctx.clientKey);
      const [existingRoom, existingGuest] = await Promise.all([
        guardStore(() => store.findRoomByName(req.chatroomName)),
        guardStore(() => store.findGuestByNick(req.nickName)),
      ]);
      const proof = existingGuest ? await checkProof(existingGuest, req, ctx) : undefined;
      // Checked before a nickName is created or keyed: a refused session must not burn the key it would have shown.
      const room = await roomFor(req.chatroomName, existingRoom, existingGuest && claimsOf(existingGuest));
      const proven = await resolveGuest(req, ctx, existingGuest, proof);
      let guest = proven.guest;
      if (req.headNum !== undefined && req.headNum !== guest.headNum) {
        await guardStore(() => store.setGuestHeadNum(guest.id, req.headNum!, now()));
        guest = { ...guest, headNum: req.headNum };
      }
      await guardStore(() => store.addMembership(room.id, guest.id, now()));
      const token = await tokens.issue(claimsOf(guest));
      const view: SessionView = { token, userId: guest.id, roomId: room.id, nickName: guest.nickName, chatroomName: room.name, headNum: guest.headNum };
      if (proven.userKey) view.userKey = proven.userKey;
      return view;
    },

    /** Whether app-issued identity is configured (the exchange route exists). */
    appSessions: deps.appTokens !== undefined,

    async exchange(appToken: string | undefined, ctx: SessionContext): Promise<AppSessionView> {
      if (!deps.appTokens) throw new ChatError('not_found', 'No such route.');
      await deps.sessionLimiter.consume(ctx.clientKey);
      const identity = await deps.appTokens.verify(appToken);
      const user = await guardStore(() => store.upsertAppUser({ id: identity.userId, nickName: identity.nickName, headNum: identity.headNum }, now()));
      const token = await tokens.issue({ userId: user.id, nickName: user.nickName, headNum: user.headNum, kind: 'app', rooms: identity.rooms });
      return { token, userId: user.id, nickName: user.nickName, headNum: user.headNum };
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
