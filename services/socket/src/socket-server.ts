import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { ServerOptions } from 'socket.io';
import { LIMITS, SOCKET_PATH } from '@chat/protocol';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/protocol';
import type { LocalSockets } from '@chat/delivery';
import type { ChatSocket, SocketData } from './chat-socket';

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** socket.io on the node's HTTP server, with the contract's path, frame limits and CORS. */
export function createSocketServer(
  httpServer: HttpServer,
  opts: { corsOrigins: '*' | string[]; adapter?: ServerOptions['adapter']; parser?: ServerOptions['parser'] },
): ChatServer {
  return new Server(httpServer, {
    path: SOCKET_PATH,
    serveClient: false,
    cors: { origin: opts.corsOrigins, methods: ['GET', 'POST'] },
    // engine.io closes a connection that sends more; frames between 64 KB and this get `too_large`.
    maxHttpBufferSize: LIMITS.frameBytesHardMax,
    perMessageDeflate: false,
    httpCompression: false,
    ...(opts.adapter ? { adapter: opts.adapter } : {}),
    ...(opts.parser ? { parser: opts.parser } : {}),
  });
}

/** The delivery pipeline's view of this node's sockets: socket.io rooms, counted and emitted to locally. */
export function localSocketsOf(io: ChatServer): LocalSockets & { in(group: string): ChatSocket[] } {
  const groups = () => io.of('/').adapter.rooms;
  return {
    count: (group) => groups().get(group)?.size ?? 0,
    emit(to, event, payload, except) {
      const target = except ? io.local.to(to).except(except) : io.local.to(to);
      (target as unknown as { emit(event: string, payload: unknown): void }).emit(event, payload);
    },
    in: (group) => [...(groups().get(group) ?? [])].flatMap((id) => io.of('/').sockets.get(id) ?? []),
  };
}
