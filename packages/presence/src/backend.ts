import type { ConnRef } from './codec';
import type { PresenceMember } from './types';

/** What removing one connection found. */
export interface LeaveResult {
  /** This call removed the connection (false: unknown, or someone removed it first). */
  removed: boolean;
  /** The connection was the user's last one in the room. */
  last: boolean;
  /** The user's info, when the connection was removed by this call. */
  member?: PresenceMember;
}

/**
 * The few storage operations a presence backend provides. Heartbeat timers,
 * reaping order and departure reporting live once, in node.ts.
 */
export interface PresenceBackend {
  /** Adds a connection owned by nodeId; true when it is the user's first in the room. */
  join(nodeId: string, roomId: string, member: PresenceMember, connId: string): Promise<boolean>;
  /**
   * Removes a connection owned by nodeId. Safe to race: of concurrent calls
   * for one connection, exactly one sees `removed: true`.
   */
  leave(nodeId: string, roomId: string, userId: string, connId: string): Promise<LeaveResult>;
  members(roomId: string): Promise<PresenceMember[]>;
  isOnline(roomId: string, userId: string): Promise<boolean>;
  onlineCount(roomId: string): Promise<number>;
  isUserOnline(userId: string): Promise<boolean>;
  /** Records that nodeId is alive now; false when it was not registered (first beat, or it was reaped). */
  heartbeat(nodeId: string): Promise<boolean>;
  /** Nodes whose last heartbeat is older than ttlMs. */
  expiredNodes(ttlMs: number): Promise<string[]>;
  /** Connections the node still owns. */
  nodeConnections(nodeId: string): Promise<ConnRef[]>;
  /** Unregisters nodeId if its heartbeat is still older than ttlMs (it may have come back). */
  forgetNode(nodeId: string, ttlMs: number): Promise<void>;
}
