import { SignJWT, jwtVerify, errors } from 'jose';
import { ChatError } from '@chat/protocol';

/** What a session token asserts. The server trusts these claims and nothing a client puts in a payload. */
export interface SessionClaims {
  userId: string;
  nickName: string;
  headNum: number;
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
      return new SignJWT({ nick: claims.nickName, head: claims.headNum })
        .setProtectedHeader({ alg: ALG })
        .setSubject(claims.userId)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + opts.ttlSec)
        .sign(key);
    },
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0) throw new ChatError('unauthorized');
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: [ALG] });
        const { sub, nick, head, exp } = payload;
        if (typeof sub !== 'string' || typeof nick !== 'string' || typeof head !== 'number' || typeof exp !== 'number') {
          throw new ChatError('unauthorized');
        }
        return { userId: sub, nickName: nick, headNum: head, expiresAt: exp * 1000 };
      } catch (err) {
        if (err instanceof ChatError) throw err;
        if (err instanceof errors.JOSEError) throw new ChatError('unauthorized', 'The token is invalid or expired.');
        throw err;
      }
    },
  };
}
