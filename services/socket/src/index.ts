export { attachSocketGateway } from './gateway';
export type { GatewayDeps, SocketGateway } from './gateway';
export { startSocketNode, gatewayFor, drainAndClose } from './node';
