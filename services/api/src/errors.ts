import type { ErrorRequestHandler } from 'express';
import { ChatError, HTTP_STATUS, toErrorBody } from '@chat/protocol';
import type { Logger } from '@chat/observability';

/**
 * Failures express reports for the client's request: a body that is not JSON
 * or too large (body-parser), a path whose %-encoding is malformed (the router).
 */
function fromRequestParsing(err: unknown): ChatError | undefined {
  if (err instanceof URIError) return new ChatError('bad_request', 'The path is not valid percent-encoding.');
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.parse.failed') return new ChatError('bad_request', 'The body is not valid JSON.');
  if (type === 'entity.too.large') return new ChatError('too_large', 'The body is too large.');
  if (typeof type === 'string') return new ChatError('bad_request', 'The body could not be read.');
  return undefined;
}

/** The REST edge: known errors keep their code; anything else is logged and becomes `internal`. */
export function errorHandler(logger: Logger, onError?: (code: string) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = err instanceof ChatError ? err : fromRequestParsing(err);
    if (!known) logger.error({ err, path: req.path }, 'unhandled request error');
    const body = toErrorBody(known ?? err);
    onError?.(body.code);
    if (body.retryAfterSec !== undefined) res.set('Retry-After', String(Math.ceil(body.retryAfterSec)));
    const seed = req.path.startsWith('/mysql/');
    res.status(HTTP_STATUS[body.code]).json(seed ? { success: false, error: body } : { error: body });
  };
}
