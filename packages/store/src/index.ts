/** @chat/store: the durable chat store (rooms, users, memberships, messages) on MySQL or SQLite via knex. */
export { createKnexStore } from './knex-store';
export { migrateLatest, migrationSource, MIGRATIONS_TABLE } from './migrations';
export { knexConfig } from './config';
export type { StoreTarget } from './config';
export { isUniqueViolation } from './dialect';
export type { ChatStore, RoomRecord, RoomVisibility, UserRecord, GuestRecord, StoredMessage, HistoryQuery, StoredPage } from './types';
