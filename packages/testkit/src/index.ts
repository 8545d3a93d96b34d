export { waitUntil, withTimeout, randomSuffix } from './wait';
export { request, newSession } from './http';
export type { HttpReply } from './http';
export { connect, connectError, createClientPool } from './client';
export type { TestClient, ConnectOptions, ClientPool } from './client';
export { tempMysqlDatabase, MYSQL_ROOT_URL, REDIS_URL } from './mysql';
export { wireContract } from './wire-contract';
export type { WireTarget } from './wire-contract';
