export { startStandalone } from './standalone';
