import type { AppSessionView, ChatMessage, ErrorBody, HistoryPage, SessionView } from '@chat/protocol';
import { ClientError } from './errors';

/** A chat session: what `connect` needs, and who the user is. */
export interface Session {
  /** The server's base URL (the load balancer in a cluster). */
  url: string;
  token: string;
  userId: string;
  nickName: string;
  headNum: number;
}

/** A guest's session also entered a room, and may carry the nickName's key. */
export interface GuestSession extends Session {
  /** The room the session entered (same chatroomName, same roomId). */
  roomId: string;
  chatroomName: string;
  /**
   * Only in the answer that created the nickName: the secret that proves the
   * nickName is yours next time. Keep it; it is not shown again.
   */
  userKey?: string;
}

/** A guest names itself, and proves a taken nickName with its `userKey`. */
export interface GuestSessionRequest {
  nickName: string;
  chatroomName: string;
  /** Avatar number, 0-1000. */
  headNum?: number;
  userKey?: string;
}

/** A user of an app with its own accounts: a short-lived JWT the app signed for it (see docs/protocol.md, Identity). */
export interface AppSessionRequest {
  appToken: string;
}

export type SessionRequest = GuestSessionRequest | AppSessionRequest;

export interface RestOptions {
  /** Default: the global fetch (Node 18+, browsers). */
  fetch?: typeof fetch;
  /** Default 10 s. */
  timeoutMs?: number;
}

/** `http://host:port/` -> `http://host:port`. */
export function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * JSON over HTTP. A refusal becomes a ClientError with the server's code;
 * no answer (a network error, the timeout) one with `network` or `timeout`.
 */
export async function restRequest<T>(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  opts: RestOptions & { body?: unknown; bearer?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await doFetch(`${baseUrl(url)}${path}`, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: controller.signal,
    });
    text = await res.text();
  } catch (err) {
    if (controller.signal.aborted) throw new ClientError('timeout', `${method} ${path}: no answer in ${timeoutMs} ms`);
    throw new ClientError('network', `${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as { error?: ErrorBody } | undefined)?.error;
    if (error) throw ClientError.fromBody(error);
    throw new ClientError(res.status >= 500 ? 'unavailable' : 'internal', `${method} ${path}: HTTP ${res.status}`);
  }
  return body as T;
}

/**
 * A session: a guest with a nickName (first use creates the user and answers
 * with its `userKey`, once; a taken nickName needs it: `nickname_taken`
 * otherwise), or an app user, whose app-signed JWT is exchanged.
 */
export function createSession(url: string, req: GuestSessionRequest, opts?: RestOptions): Promise<GuestSession>;
export function createSession(url: string, req: AppSessionRequest, opts?: RestOptions): Promise<Session>;
export async function createSession(url: string, req: SessionRequest, opts: RestOptions = {}): Promise<Session | GuestSession> {
  if ('appToken' in req) {
    const s = await restRequest<AppSessionView>(url, 'POST', '/api/v1/sessions/exchange', { ...opts, bearer: req.appToken });
    return { url: baseUrl(url), token: s.token, userId: s.userId, nickName: s.nickName, headNum: s.headNum };
  }
  const body: Record<string, unknown> = { nickName: req.nickName, chatroomName: req.chatroomName };
  if (req.headNum !== undefined) body.headNum = req.headNum;
  if (req.userKey !== undefined) body.userKey = req.userKey;
  const s = await restRequest<SessionView>(url, 'POST', '/api/v1/sessions', { ...opts, body });
  const session: GuestSession = {
    url: baseUrl(url),
    token: s.token,
    userId: s.userId,
    nickName: s.nickName,
    headNum: s.headNum,
    roomId: s.roomId,
    chatroomName: s.chatroomName,
  };
  if (s.userKey !== undefined) session.userKey = s.userKey;
  return session;
}

/** How many rooms exist (`GET /api/v1/rooms/count`). */
export async function roomCount(url: string, opts: RestOptions = {}): Promise<number> {
  return (await restRequest<{ count: number }>(url, 'GET', '/api/v1/rooms/count', opts)).count;
}

/** A history page over REST: `before` pages back from the newest, `after` forward. */
export async function restHistory(
  url: string,
  token: string,
  roomId: string,
  query: { before?: number; after?: number; limit?: number },
  opts: RestOptions = {},
): Promise<HistoryPage> {
  const params = new URLSearchParams();
  if (query.before !== undefined) params.set('before', String(query.before));
  if (query.after !== undefined) params.set('after', String(query.after));
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const qs = params.toString();
  const page = await restRequest<{ messages: ChatMessage[]; hasMore: boolean }>(
    url,
    'GET',
    `/api/v1/rooms/${encodeURIComponent(roomId)}/messages${qs ? `?${qs}` : ''}`,
    { ...opts, bearer: token },
  );
  return { messages: page.messages, hasMore: page.hasMore };
}
