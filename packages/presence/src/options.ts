import type { PresenceOptions } from './types';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2000;
export const DEFAULT_NODE_TTL_MS = 10000;

/** PresenceOptions with defaults applied and checked once, at construction. */
export interface ResolvedOptions {
  nodeId: string;
  heartbeatIntervalMs: number;
  nodeTtlMs: number;
  onError: (err: unknown) => void;
}

/**
 * Misconfiguration is a programmer error, so it throws at construction
 * (a RangeError) rather than surfacing later inside a timer.
 */
export function resolveOptions(opts: PresenceOptions): ResolvedOptions {
  if (typeof opts.nodeId !== 'string' || opts.nodeId === '') {
    throw new RangeError('presence: nodeId must be a non-empty string');
  }
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const nodeTtlMs = opts.nodeTtlMs ?? DEFAULT_NODE_TTL_MS;
  if (!(Number.isFinite(heartbeatIntervalMs) && heartbeatIntervalMs > 0)) {
    throw new RangeError('presence: heartbeatIntervalMs must be a positive number');
  }
  // A TTL not longer than the heartbeat period would let survivors reap a live node.
  if (!(Number.isFinite(nodeTtlMs) && nodeTtlMs > heartbeatIntervalMs)) {
    throw new RangeError('presence: nodeTtlMs must be greater than heartbeatIntervalMs');
  }
  return {
    nodeId: opts.nodeId,
    heartbeatIntervalMs,
    nodeTtlMs,
    onError: opts.onError ?? (() => {}),
  };
}
