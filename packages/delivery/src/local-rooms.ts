/**
 * Counts this node's sockets per room and keeps the node subscribed to a
 * room's bus channel exactly while it has at least one of them.
 */
export interface LocalRooms {
  /** Resolves once the node receives the room's messages. */
  acquire(roomId: string): Promise<void>;
  /** Unsubscribes when the last local socket left. */
  release(roomId: string): Promise<void>;
  count(): number;
}

export function createLocalRooms(
  bus: {
    subscribe(roomId: string): Promise<void>;
    unsubscribe(roomId: string): Promise<void>;
  },
  onEmpty: (roomId: string) => void,
): LocalRooms {
  const rooms = new Map<string, { sockets: number; subscribed: Promise<void> }>();
  return {
    acquire(roomId) {
      const entry = rooms.get(roomId);
      if (entry) {
        entry.sockets++;
        return entry.subscribed;
      }
      const subscribed = bus.subscribe(roomId);
      rooms.set(roomId, { sockets: 1, subscribed });
      return subscribed.catch((err) => {
        if (rooms.get(roomId)?.subscribed === subscribed) rooms.delete(roomId);
        throw err;
      });
    },
    async release(roomId) {
      const entry = rooms.get(roomId);
      if (!entry) return;
      if (--entry.sockets > 0) return;
      rooms.delete(roomId);
      onEmpty(roomId);
      await bus.unsubscribe(roomId);
    },
    count: () => rooms.size,
  };
}
