import type { ErrorBody, ErrorCode } from '@chat/protocol';

/**
 * What went wrong, as a stable code: the server's codes (docs/protocol.md),
 * plus three the client itself decides: `network` (no answer: the server or
 * the connection is down), `timeout` (no answer in time) and `closed` (the
 * client was closed, or left the room, before it was done).
 */
export type ClientErrorCode = ErrorCode | 'network' | 'timeout' | 'closed';

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string = code,
    /** Seconds until a retry may succeed (`rate_limited`). */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'ClientError';
  }

  static fromBody(body: ErrorBody | undefined): ClientError {
    if (!body || typeof body.code !== 'string') return new ClientError('internal', 'The server answered with an error it did not describe.');
    return new ClientError(body.code, body.message, body.retryAfterSec);
  }
}

/** Errors that a later attempt of the same request may not get: worth retrying. */
export function isTransient(err: ClientError): boolean {
  return err.code === 'network' || err.code === 'timeout' || err.code === 'unavailable' || err.code === 'rate_limited' || err.code === 'internal';
}
