export interface PresenceMember {
  userId: string;
  nickName: string;
  headNum: number;
}

/** A user whose last connection in a room went away. */
export interface Departure {
  roomId: string;
  member: PresenceMember;
}

/**
 * Who is online where, across every socket node. A user may hold several
 * connections (tabs, nodes) in a room; they count once.
 *
 * Every connection is owned by a node. Nodes heartbeat; when a node stops
 * heartbeating for `nodeTtlMs`, the survivors remove its connections and
 * report the resulting departures to their `onDepartures` handler, so a
 * crashed node leaves no ghosts.
 */
export interface PresenceStore {
  readonly nodeId: string;
  /**
   * Adds one connection; `firstForUser` is true when the user had no connection in the room before.
   * Joining the same connection again is a no-op (false). The latest join's nickName/headNum win.
   */
  join(roomId: string, member: PresenceMember, connId: string): Promise<{ firstForUser: boolean }>;
  /**
   * Removes one connection; `lastForUser` is true when it was the user's last one in the room, and
   * `member` is the user's info whenever the connection was known. Unknown connections (or another
   * node's, or another user's) are a no-op: `{ lastForUser: false }`.
   */
  leave(roomId: string, userId: string, connId: string): Promise<{ lastForUser: boolean; member?: PresenceMember }>;
  /** Online members of the room, each user once, in join order of their first connection where the backend can tell. */
  members(roomId: string): Promise<PresenceMember[]>;
  isOnline(roomId: string, userId: string): Promise<boolean>;
  onlineCount(roomId: string): Promise<number>;
  /** Online in at least one room. */
  isUserOnline(userId: string): Promise<boolean>;
  /**
   * One handler per store: the departures found in the background (reaping a dead node's
   * connections, leaves retried after an outage), never those of join/leave. Errors go to onError.
   */
  onDepartures(handler: (departures: Departure[]) => void): void;
  /**
   * One handler per store: called after this node found at a heartbeat that it was no longer
   * registered (Redis lost its data, or survivors reaped it during a stall longer than nodeTtlMs)
   * and added its live connections back, with the rooms they are in: their member lists changed
   * without a join. Errors go to onError.
   */
  onRestored(handler: (roomIds: string[]) => void): void;
  /** Starts heartbeating and reaping (idempotent; a no-op after close). Call it before the first join. */
  start(): void;
  /** Removes every connection this node holds (graceful shutdown) and returns the departures. */
  removeOwnConnections(): Promise<Departure[]>;
  /**
   * One reaping pass: removes the connections of nodes whose heartbeat expired and returns the
   * departures this caller won (not passed to `onDepartures`; the timer's passes are).
   */
  reapDeadNodes(): Promise<Departure[]>;
  /**
   * Stops timers and waits for a pass in flight (idempotent). Does not remove connections and does
   * not close clients passed in.
   */
  close(): Promise<void>;
}

export interface PresenceOptions {
  /**
   * Unique per process lifetime (e.g. hostname + pid + random). A restarted process that reuses a
   * dead one's id would adopt, and keep alive, the dead one's connections.
   */
  nodeId: string;
  /** How often this node refreshes its heartbeat and reaps dead nodes. Default 2000 ms. */
  heartbeatIntervalMs?: number;
  /**
   * A node silent for this long is dead. Default 10000 ms (so ghosts go within 12 s). Must exceed
   * heartbeatIntervalMs, and should be the same on every node.
   */
  nodeTtlMs?: number;
  /** Called when a background pass fails; the store never throws out of a timer. Default: ignore. */
  onError?: (err: unknown) => void;
}
