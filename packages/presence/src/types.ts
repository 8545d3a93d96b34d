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
 * report the resulting departures through `onDepartures`, so a crashed node
 * leaves no ghosts.
 */
export interface PresenceStore {
  readonly nodeId: string;
  /** Adds one connection; `firstForUser` is true when the user had no connection in the room before. */
  join(roomId: string, member: PresenceMember, connId: string): Promise<{ firstForUser: boolean }>;
  /** Removes one connection; `lastForUser` is true when it was the user's last one in the room. Unknown connections are a no-op (false). */
  leave(roomId: string, userId: string, connId: string): Promise<{ lastForUser: boolean; member?: PresenceMember }>;
  /** Online members of the room, each user once, in join order of their first connection where the backend can tell. */
  members(roomId: string): Promise<PresenceMember[]>;
  isOnline(roomId: string, userId: string): Promise<boolean>;
  onlineCount(roomId: string): Promise<number>;
  /** Online in at least one room. */
  isUserOnline(userId: string): Promise<boolean>;
  /** Starts heartbeating and reaping (idempotent). */
  start(): void;
  /** Removes every connection this node holds (graceful shutdown) and returns the departures. */
  removeOwnConnections(): Promise<Departure[]>;
  /** One reaping pass: removes the connections of nodes whose heartbeat expired. */
  reapDeadNodes(): Promise<Departure[]>;
  /** Stops timers (idempotent). Does not remove connections and does not close clients passed in. */
  close(): Promise<void>;
}

export interface PresenceOptions {
  nodeId: string;
  /** How often this node refreshes its heartbeat and reaps dead nodes. Default 2000 ms. */
  heartbeatIntervalMs?: number;
  /** A node silent for this long is dead. Default 10000 ms (so ghosts go within 15 s). */
  nodeTtlMs?: number;
  /** Called with the departures found by reaping (not by join/leave). Errors are the caller's to log. */
  onDepartures?: (departures: Departure[]) => void;
  /** Called when a background pass fails; the store never throws out of a timer. */
  onError?: (err: unknown) => void;
}
