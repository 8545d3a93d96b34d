/** Local sockets per step of the adaptive `members` interval. */
export const MEMBERS_STEP_SOCKETS = 500;

/**
 * A `members` update costs (local sockets) x (members listed), so in big rooms
 * the interval grows with the room: one more base interval per 500 local
 * sockets keeps a room's members traffic linear in its size (a 5,000-member
 * room on one node: a list every 2.5 s at the 250 ms default).
 */
export function membersIntervalFor(baseMs: number, localSockets: number): number {
  return baseMs * Math.max(1, Math.ceil(localSockets / MEMBERS_STEP_SOCKETS));
}
