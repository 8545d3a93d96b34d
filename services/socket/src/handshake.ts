import { ChatError, handshakeAuthSchema } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import type { TokenService } from '@chat/auth';
import type { Logger } from '@chat/observability';
import type { ChatSocket } from './chat-socket';
import type { ConnectionQuota } from './connection-quota';

export interface HandshakeDeps {
  tokens: TokenService;
  chat: ChatService;
  /** Sockets per user on this node; the caller releases a socket's slot on its 'disconnect'. */
  quota: ConnectionQuota;
  connectionsPerUserMax: number;
  logger: Logger;
}

/** A refused handshake as the client's `connect_error` sees it: the stable code as message, `retryAfterSec` in data. */
type Refusal = Error & { data?: { retryAfterSec: number } };

/**
 * The socket.io middleware that admits a connection: who it is (from the
 * token only), whether the user may open another one (the per-node cap, then
 * the cluster-wide handshake budget), and the initial room's admission.
 */
export function createHandshake(deps: HandshakeDeps) {
  const { quota, connectionsPerUserMax } = deps;
  const overQuota = () =>
    new ChatError('limit_exceeded', `A user may hold at most ${connectionsPerUserMax} connections to one node; close one first.`);

  function refusal(err: unknown): Refusal {
    if (!(err instanceof ChatError)) {
      deps.logger.error({ err }, 'handshake failed');
      return new Error('internal');
    }
    const refused: Refusal = new Error(err.code);
    if (err.retryAfterSec !== undefined) refused.data = { retryAfterSec: err.retryAfterSec };
    return refused;
  }

  return async (socket: ChatSocket, next: (err?: Error) => void): Promise<void> => {
    try {
      const auth = handshakeAuthSchema.safeParse(socket.handshake.auth);
      if (!auth.success) {
        // A missing or malformed token is a refusal; a bad option next to a well-formed one is a bad request.
        const tokenProblem = auth.error.issues.some((i) => i.path[0] === 'token' || i.path.length === 0);
        throw new ChatError(tokenProblem ? 'unauthorized' : 'bad_request');
      }
      const user = await deps.tokens.verify(auth.data.token);
      // Checked before the handshake budget is spent, so a refused socket costs the user nothing.
      if (quota.held(user.userId) >= connectionsPerUserMax) throw overQuota();
      await deps.chat.admitConnection(user);
      if (auth.data.roomId) await deps.chat.admit(auth.data.roomId, user);
      // The transport closed while this waited: socket.io would drop the socket without a
      // 'disconnect', and nothing would give the slot back.
      if (socket.conn.readyState !== 'open') throw new ChatError('bad_request', 'The connection closed during its handshake.');
      // From here to 'connection' nothing waits, so the socket connects and its 'disconnect' releases.
      if (!quota.take(user.userId)) throw overQuota(); // concurrent handshakes of one user took the last slots
      socket.data.user = user;
      socket.data.rooms = new Set();
      socket.data.batch = auth.data.delivery === 'batch';
      next();
    } catch (err) {
      next(refusal(err));
    }
  };
}
