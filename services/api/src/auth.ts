import type { Request } from 'express';
import type { SessionClaims, TokenService } from '@chat/auth';

/** The caller's identity, from `Authorization: Bearer <token>` only. */
export function bearerClaims(tokens: TokenService, req: Request): Promise<SessionClaims> {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return tokens.verify(match?.[1]);
}
