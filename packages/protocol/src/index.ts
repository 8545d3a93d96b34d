export { ERROR_CODES, HTTP_STATUS, ChatError, toErrorBody, isChatError } from './errors';
export type { ErrorCode, ErrorBody } from './errors';
export { LIMITS } from './limits';
export type {
  ChatMessage,
  MessageKind,
  SystemEvent,
  Member,
  MembersUpdate,
  MembersDiff,
  MessageBatch,
  RoomView,
  UserView,
  SessionView,
  HistoryPage,
} from './types';
export {
  sessionRequestSchema,
  sendMessageSchema,
  historyRequestSchema,
  roomRefSchema,
  handshakeAuthSchema,
  headNumSchema,
  seedCreateChatroomSchema,
  seedValidateSchema,
  seedRoomInfoSchema,
  seedUserInfoSchema,
} from './schemas';
export type { SessionRequest, SendMessageRequest, HistoryRequest, RoomRef } from './schemas';
export { EVENTS, SOCKET_PATH } from './events';
export type { Ack, AckFn, ServerToClientEvents, ClientToServerEvents, HandshakeAuth } from './events';
export { parseOrThrow } from './parse';
