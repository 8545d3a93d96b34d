import { randomUUID } from 'node:crypto';

/** A new room or guest id: the prefix and 32 hex digits (the format packages/protocol accepts at every edge). */
export function newId(prefix: 'room' | 'user'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}
