import type { SessionView } from '@chat/protocol';
import { randomSuffix } from './wait';

export interface HttpReply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** JSON over fetch; `raw` sends a body as-is (for malformed-input tests). */
export async function request<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { json?: unknown; raw?: string; contentType?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<HttpReply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.raw !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    body = opts.raw;
  }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(base + path, { method, headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** A fresh user in a fresh (or given) room; `userKey` (or `token`) proves a nickName already taken. */
export async function newSession(
  base: string,
  opts: { nickName?: string; chatroomName?: string; headNum?: number; userKey?: string; token?: string } = {},
): Promise<SessionView> {
  const reply = await request<SessionView>(base, 'POST', '/api/v1/sessions', {
    json: {
      nickName: opts.nickName ?? `u-${randomSuffix()}`,
      chatroomName: opts.chatroomName ?? `room-${randomSuffix()}`,
      ...(opts.headNum !== undefined ? { headNum: opts.headNum } : {}),
      ...(opts.userKey !== undefined ? { userKey: opts.userKey } : {}),
    },
    ...(opts.token ? { token: opts.token } : {}),
  });
  if (reply.status !== 201) throw new Error(`session failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}
