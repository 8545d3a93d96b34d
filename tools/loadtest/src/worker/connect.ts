import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import * as msgpackParser from 'socket.io-msgpack-parser';
import { SOCKET_PATH } from '@chat/protocol';
import type { ClientToServerEvents, ServerToClientEvents, SessionView } from '@chat/protocol';

export type ChatClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A failed step of getting a member online, with the code the report counts it under. */
export class ConnectFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectFailure';
  }
}

export async function createSession(url: string, nickName: string, chatroomName: string, timeoutMs: number): Promise<SessionView> {
  let res: Response;
  try {
    res = await fetch(new URL('/api/v1/sessions', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nickName, chatroomName }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const name = (err as Error).name;
    throw new ConnectFailure(name === 'TimeoutError' ? 'session_timeout' : 'session_unreachable', (err as Error).message);
  }
  const body = (await res.json().catch(() => undefined)) as (SessionView & { error?: { code?: string } }) | undefined;
  if (!res.ok || !body || typeof body.token !== 'string') {
    throw new ConnectFailure(body?.error?.code ?? `http_${res.status}`, `session request failed with HTTP ${res.status}`);
  }
  return body;
}

export interface ConnectOptions {
  transport: 'websocket' | 'polling';
  parser: 'json' | 'msgpack';
  delivery: 'each' | 'batch';
  timeoutMs: number;
}

/** Opens one socket (no automatic reconnection: a drop is a finding, not something to hide). */
export function connectSocket(url: string, token: string, o: ConnectOptions): Promise<ChatClientSocket> {
  const socket: ChatClientSocket = io(url, {
    path: SOCKET_PATH,
    transports: [o.transport],
    upgrade: false,
    auth: o.delivery === 'batch' ? { token, delivery: 'batch' } : { token },
    reconnection: false,
    forceNew: true,
    timeout: o.timeoutMs,
    ...(o.parser === 'msgpack' ? { parser: msgpackParser } : {}),
  });
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      if (err) {
        socket.disconnect();
        reject(err);
      } else resolve(socket);
    };
    const onConnect = () => done();
    // The server names the refusal (unauthorized, ...) in the error message; transport errors have other text.
    const onError = (err: Error) => done(new ConnectFailure(/^[a-z_]+$/.test(err.message) ? err.message : 'connect_error', err.message));
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}
