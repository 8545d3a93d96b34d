import type { Socket } from 'socket.io';
import type { VerifiedSession } from '@chat/auth';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/protocol';

/** What the gateway keeps on each socket (set by the handshake). Plain fields: an idle node holds thousands. */
export interface SocketData {
  /** From the token only. */
  user: VerifiedSession;
  /** The client address as budgeted (an IPv6 /64 counts as one), for the per-address connection cap. */
  address: string;
  /** Rooms the socket is in: the membership every send and history request is checked against. */
  rooms: Set<string>;
  /** Chose `delivery: 'batch'`: also in each room's batch group. */
  batch: boolean;
  /** A `history` request is being answered: a second one waits for it (it gets `rate_limited`). */
  historyBusy: boolean;
  /** Requests counted in the current window of SOCKET_EVENT_RATE_LIMIT. */
  eventWindowStart: number;
  eventCount: number;
}

export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
