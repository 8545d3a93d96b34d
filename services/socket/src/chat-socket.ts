import type { Socket } from 'socket.io';
import type { VerifiedSession } from '@chat/auth';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/protocol';

/** What the gateway keeps on each socket (set by the handshake). */
export interface SocketData {
  /** From the token only. */
  user: VerifiedSession;
  rooms: Set<string>;
  /** Chose `delivery: 'batch'`: also in each room's batch group. */
  batch: boolean;
}

export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
