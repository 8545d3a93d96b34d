import { ChatError } from '@chat/protocol';

/** Both allocators reject the same bad counts the same way. */
export function assertCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ChatError('bad_request', `seq count must be a positive integer, got ${count}`);
  }
}

/**
 * Runs `load(roomId)` at most once at a time per room: concurrent callers
 * share the promise (a burst of first messages after a restart costs the
 * store one query per room, not one per message).
 */
export function createSingleFlight<T>(load: (roomId: string) => Promise<T>) {
  const inFlight = new Map<string, Promise<T>>();
  return (roomId: string): Promise<T> => {
    let p = inFlight.get(roomId);
    if (!p) {
      p = load(roomId).finally(() => inFlight.delete(roomId));
      inFlight.set(roomId, p);
    }
    return p;
  };
}
