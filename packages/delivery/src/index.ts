/** @chat/delivery: the receiving half of the message path (bus -> in-order -> this node's sockets). */
export { createRoomDelivery } from './room-delivery';
export type { RoomDelivery, RoomDeliveryOptions, DeliverySource, DeliveryObserver, ResumingSocket } from './room-delivery';
export { batchGroup } from './local-sockets';
export type { LocalSockets } from './local-sockets';
export { createInOrderDelivery, MAX_GAP_FILL } from './in-order';
export type { InOrderDelivery, InOrderDeliveryOptions } from './in-order';
export { createDeliveryBatcher } from './delivery-batcher';
export type { DeliveryBatcher, DeliveryBatcherOptions } from './delivery-batcher';
export { createMembersFeed, diffMembers } from './members-feed';
export type { MembersFeed, MembersPlan } from './members-feed';
export { createKeyedThrottle } from './throttle';
export type { KeyedThrottle } from './throttle';
export { membersIntervalFor, MEMBERS_STEP_SOCKETS } from './members-interval';
