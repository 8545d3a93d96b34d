import type { Request } from 'express';

/** Rate-limit key of an anonymous caller: its address as the trusted proxy chain reports it. */
export function clientKey(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
