import { SignJWT, jwtVerify, errors } from 'jose';
import { ChatError, LIMITS } from '@chat/protocol';

/** Who a session belongs to: a guest (nickName with a key) or a user an app vouches for. */
export type SessionKind = 'guest' | 'app';

/** What a session token asserts. The server trusts these claims and nothing a client puts in a payload. */
export interface SessionClaims {
  userId: string;
  nickName: string;
  headNum: number;
  /** Absent in tokens issued before app users existed: a guest. */
  kind?: SessionKind;
  /** App users: names of private rooms the app lets them enter. */
  rooms?: readonly string[];
}

/** A verified token's claims and when it stops being valid. */
export interface VerifiedSession extends SessionClaims {
  /** Epoch ms. */
  expiresAt: number;
}

export interface TokenService {
  issue(claims: SessionClaims): Promise<string>;
  /** Throws ChatError('unauthorized') for a missing, expired, tampered or foreign token. */
  verify(token: string | undefined): Promise<VerifiedSession>;
}

const ISSUER = 'chat-cluster';
const ALG = 'HS256';

/** HS256 JWTs signed with a secret shared by every node, so any node verifies any token. */
export function createTokenService(opts: { secret: string; ttlSec: number }): TokenService {
  if (opts.secret.length < 32) throw new Error('token secret must be at least 32 characters');
  const key = new TextEncoder().encode(opts.secret);
  return {
    async issue(claims) {
      const body: Record<string, unknown> = { nick: claims.nickName, head: claims.headNum };
      if (claims.kind === 'app') body.kind = 'app';
      if (claims.rooms && claims.rooms.length > 0) body.rooms = [...claims.rooms];
      return new SignJWT(body)
        .setProtectedHeader({ alg: ALG })
        .setSubject(claims.userId)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + opts.ttlSec)
        .sign(key);
    },
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > LIMITS.tokenMax) throw new ChatError('unauthorized');
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: [ALG] });
        const { sub, nick, head, exp, kind, rooms } = payload;
        if (typeof sub !== 'string' || typeof nick !== 'string' || typeof head !== 'number' || typeof exp !== 'number') {
          throw new ChatError('unauthorized');
        }
        const session: VerifiedSession = { userId: sub, nickName: nick, headNum: head, expiresAt: exp * 1000, kind: kind === 'app' ? 'app' : 'guest' };
        if (Array.isArray(rooms) && rooms.every((r) => typeof r === 'string')) session.rooms = rooms as string[];
        return session;
      } catch (err) {
        if (err instanceof ChatError) throw err;
        if (err instanceof errors.JOSEError) throw new ChatError('unauthorized', 'The token is invalid or expired.');
        throw err;
      }
    },
  };
}
