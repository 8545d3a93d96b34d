/**
 * The delivery pipeline's one view of this node's sockets: named groups
 * (socket.io rooms), counted and emitted to. Each emit is encoded once for
 * all its receivers.
 */
export interface LocalSockets {
  /** Sockets on this node in the group. */
  count(group: string): number;
  /** One event to the group's sockets on this node (or to several groups: a socket id is a group of its own), except those in `except`. */
  emit(to: string | string[], event: string, payload: unknown, except?: string | string[]): void;
}

/**
 * The group of a room's sockets that chose batched delivery (they are in the
 * room's own group too, for `members`). NUL cannot occur in a room id.
 */
export function batchGroup(roomId: string): string {
  return `${roomId}\u0000batch`;
}
