import type { Request } from 'express';
import { ChatError } from '@chat/protocol';
import { secretMatches } from '@chat/auth';
import type { SessionClaims, TokenService } from '@chat/auth';

/** The token of `Authorization: Bearer <token>`, or undefined without one. */
export function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header === undefined) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
}

/** The caller's identity, from `Authorization: Bearer <token>` only. */
export function bearerClaims(tokens: TokenService, req: Request): Promise<SessionClaims> {
  return tokens.verify(bearerToken(req));
}

/** The caller's identity if it sent a token (which must then be valid), or undefined for an anonymous request. */
export async function optionalClaims(tokens: TokenService, req: Request): Promise<SessionClaims | undefined> {
  const token = bearerToken(req);
  return token === undefined ? undefined : tokens.verify(token);
}

/** The server API's gate: a key from SERVER_API_KEYS, compared in constant time. Without keys the route does not exist. */
export function requireServerKey(keys: readonly string[], req: Request): void {
  if (keys.length === 0) throw new ChatError('not_found', 'No such route.');
  const given = bearerToken(req);
  if (given === undefined || !secretMatches(given, keys)) throw new ChatError('unauthorized', 'A valid server API key is required.');
}
