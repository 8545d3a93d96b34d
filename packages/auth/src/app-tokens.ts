import { createHash, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { jwtVerify, errors } from 'jose';
import { z } from 'zod';
import { ChatError, LIMITS, displayName, headNumSchema } from '@chat/protocol';

/** How the app's own tokens are checked: an HS256 secret or a PEM public key (RS256/ES256), plus optional iss/aud. */
export interface AppTokenOptions {
  secret?: string;
  publicKeyPem?: string;
  issuer?: string;
  audience?: string;
}

/** A user as the app vouches for it, mapped to chat terms. */
export interface AppIdentity {
  /** Derived from the app's `sub`: stable, and in a namespace (`app_`) no guest id can enter. */
  userId: string;
  nickName: string;
  headNum: number;
  /** Names of private rooms the app lets this user enter. */
  rooms: string[];
}

export interface AppTokenVerifier {
  /** Throws ChatError('unauthorized') for a bad, expired or foreign app token, or claims that do not fit. */
  verify(token: string | undefined): Promise<AppIdentity>;
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(255),
  name: displayName(LIMITS.nickNameMax),
  avatar: headNumSchema.optional(),
  rooms: z.array(displayName(LIMITS.chatroomNameMax)).max(LIMITS.appRoomsMax).optional(),
});

/** The chat user id of an app's user: the same `sub` (from the same issuer) always maps to the same id. */
export function appUserId(sub: string, issuer = ''): string {
  return `app_${createHash('sha256').update(`${issuer}\u0000${sub}`).digest('hex').slice(0, 32)}`;
}

/** Verifies the JWTs an app issues for its own users (`POST /api/v1/sessions/exchange`). `exp` is required. */
export function createAppTokenVerifier(opts: AppTokenOptions): AppTokenVerifier {
  const { key, algorithms } = verificationKey(opts);
  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > LIMITS.tokenMax) throw new ChatError('unauthorized');
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms,
          requiredClaims: ['exp', 'sub'],
          ...(opts.issuer ? { issuer: opts.issuer } : {}),
          ...(opts.audience ? { audience: opts.audience } : {}),
        }));
      } catch (err) {
        if (err instanceof errors.JOSEError) throw new ChatError('unauthorized', 'The app token is invalid, expired or not for this server.');
        throw err;
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw new ChatError('unauthorized', 'The app token lacks a usable sub or name.');
      const { sub, name, avatar, rooms } = claims.data;
      return { userId: appUserId(sub, opts.issuer), nickName: name, headNum: avatar ?? 0, rooms: rooms ?? [] };
    },
  };
}

function verificationKey(opts: AppTokenOptions): { key: Uint8Array | KeyObject; algorithms: string[] } {
  if (opts.secret) {
    if (opts.secret.length < 32) throw new Error('the app token secret must be at least 32 characters');
    return { key: new TextEncoder().encode(opts.secret), algorithms: ['HS256'] };
  }
  if (!opts.publicKeyPem) throw new Error('an app token verifier needs a secret or a public key');
  const key = createPublicKey(opts.publicKeyPem);
  if (key.asymmetricKeyType === 'rsa') return { key, algorithms: ['RS256'] };
  if (key.asymmetricKeyType === 'ec') return { key, algorithms: ['ES256'] };
  throw new Error(`app token public keys must be RSA (RS256) or EC P-256 (ES256), not ${key.asymmetricKeyType}`);
}
