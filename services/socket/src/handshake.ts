import { ChatError, handshakeAuthSchema } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import type { TokenService } from '@chat/auth';
import type { Logger } from '@chat/observability';
import { addressKey, clientAddress } from '@chat/runtime';
import type { ChatSocket } from './chat-socket';
import type { ConnectionQuota } from './connection-quota';

export interface HandshakeDeps {
  tokens: TokenService;
  chat: Pick<ChatService, 'admitConnection' | 'admit'>;
  /** Sockets per user and per client address on this node; the caller releases a socket's slots on its 'disconnect'. */
  userQuota: ConnectionQuota;
  addressQuota: ConnectionQuota;
  /** Proxies in front of the node whose X-Forwarded-For is believed. */
  trustProxyHops: number;
  logger: Logger;
}

/** A refused handshake as the client's `connect_error` sees it: the stable code as message, `retryAfterSec` in data. */
type Refusal = Error & { data?: { retryAfterSec: number } };

/**
 * The socket.io middleware that admits a connection: who it is (from the
 * token only), whether the user and its address may open another one (the
 * per-node caps, then the cluster-wide handshake budgets), and the initial
 * room's admission.
 */
export function createHandshake(deps: HandshakeDeps) {
  const { userQuota, addressQuota } = deps;

  function refusal(err: unknown): Refusal {
    if (!(err instanceof ChatError)) {
      deps.logger.error({ err }, 'handshake failed');
      return new Error('internal');
    }
    const refused: Refusal = new Error(err.code);
    if (err.retryAfterSec !== undefined) refused.data = { retryAfterSec: err.retryAfterSec };
    return refused;
  }

  function assertRoom(quota: ConnectionQuota, key: string, what: string): void {
    if (!quota.available(key)) throw new ChatError('limit_exceeded', `At most ${quota.max} connections per ${what} to one node; close one first.`);
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
      const address = addressKey(clientAddress(socket.request, deps.trustProxyHops));
      // Checked before the handshake budgets are spent, so a refused socket costs nothing.
      assertRoom(userQuota, user.userId, 'user');
      assertRoom(addressQuota, address, 'address');
      await deps.chat.admitConnection(user, address);
      if (auth.data.roomId) await deps.chat.admit(auth.data.roomId, user);
      // The transport closed while this waited: socket.io would drop the socket without a
      // 'disconnect', and nothing would give the slots back.
      if (socket.conn.readyState !== 'open') throw new ChatError('bad_request', 'The connection closed during its handshake.');
      // From here to 'connection' nothing waits, so the socket connects and its 'disconnect' releases.
      // Concurrent handshakes may have taken the last slots meanwhile.
      if (!userQuota.take(user.userId)) assertRoom(userQuota, user.userId, 'user');
      if (!addressQuota.take(address)) {
        userQuota.release(user.userId);
        assertRoom(addressQuota, address, 'address');
      }
      Object.assign(socket.data, { user, address, rooms: new Set<string>(), batch: auth.data.delivery === 'batch', historyBusy: false });
      next();
    } catch (err) {
      next(refusal(err));
    }
  };
}
