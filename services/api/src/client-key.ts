import type { Request } from 'express';
import { addressKey } from '@chat/runtime';

/**
 * Rate-limit key of an anonymous caller: its address as the trusted proxies
 * report it (express's `trust proxy` is set to TRUST_PROXY_HOPS), an IPv6
 * address counted per /64.
 */
export function clientKey(req: Request): string {
  return addressKey(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}
