import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/**
 * The address a request came from, trusting exactly `trustedHops` proxies in
 * front of the node (the load balancer: 1) and nothing else: a client that
 * sends its own X-Forwarded-For cannot pick the address it is budgeted by.
 * (Express's `trust proxy` with a hop count applies the same rule to `req.ip`.)
 */
export function clientAddress(req: IncomingMessage, trustedHops: number): string {
  return proxyaddr(req as Parameters<typeof proxyaddr>[0], (_addr, i) => i < trustedHops);
}

/**
 * The key a client address is budgeted by. An IPv6 host usually holds a whole
 * /64 and can pick any address in it, so IPv6 addresses count per /64;
 * IPv4 (and IPv4-mapped IPv6) addresses count alone.
 */
export function addressKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${v6.parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(':')}::/64`;
}
