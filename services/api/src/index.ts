export { createApiApp } from './app';
export type { ApiDeps } from './app';
export { startApiNode, apiAppFor } from './node';
