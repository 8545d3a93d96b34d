export type { PresenceStore, PresenceMember, Departure, PresenceOptions } from './types';
export { createMemoryPresence, createMemoryPresenceState } from './memory';
export type { MemoryPresenceState } from './memory';
export { createRedisPresence } from './redis';
export type { RedisLike } from './redis';
