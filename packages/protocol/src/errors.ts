/**
 * Stable error codes shared by the server and every client. A code never
 * changes meaning; new situations get new codes.
 */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'not_found',
  'not_member',
  'forbidden',
  'nickname_taken',
  'name_taken',
  'rate_limited',
  'too_large',
  'limit_exceeded',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** HTTP status for each code, used at the REST edge. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  not_member: 403,
  forbidden: 403,
  nickname_taken: 409,
  name_taken: 409,
  rate_limited: 429,
  too_large: 413,
  limit_exceeded: 409,
  unavailable: 503,
  internal: 500,
};

/** The one error type the domain throws. Anything else is converted to `internal` at the edge. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = defaultMessage(code),
    /** Seconds until a retry may succeed (rate limits). */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'ChatError';
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryAfterSec?: number;
}

/** What the client sees: never a stack, never SQL, never a driver message. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof ChatError) {
    const body: ErrorBody = { code: err.code, message: err.message };
    if (err.retryAfterSec !== undefined) body.retryAfterSec = err.retryAfterSec;
    return body;
  }
  return { code: 'internal', message: defaultMessage('internal') };
}

export function isChatError(err: unknown, code?: ErrorCode): err is ChatError {
  return err instanceof ChatError && (code === undefined || err.code === code);
}

function defaultMessage(code: ErrorCode): string {
  switch (code) {
    case 'bad_request':
      return 'The request is malformed.';
    case 'unauthorized':
      return 'A valid token is required.';
    case 'not_found':
      return 'No such resource.';
    case 'not_member':
      return 'Join the room first.';
    case 'forbidden':
      return 'You may not do that.';
    case 'nickname_taken':
      return 'That nickname belongs to someone else; prove it is yours with its userKey.';
    case 'name_taken':
      return 'A room with that name exists.';
    case 'rate_limited':
      return 'Too many requests; slow down.';
    case 'too_large':
      return 'The payload is too large.';
    case 'limit_exceeded':
      return 'A limit on rooms or connections is reached.';
    case 'unavailable':
      return 'The service is temporarily unavailable; retry later.';
    case 'internal':
      return 'Internal error.';
  }
}
