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
  AppSessionView,
  RoomVisibility,
  HistoryPage,
} from './types';
export { ID_PATTERN, ROOM_ID_PATTERN, USER_ID_PATTERN, roomIdSchema, userIdSchema, isRoomId, isUserId } from './ids';
export { displayName, nameProblem, isWellFormedText } from './names';
export {
  sessionRequestSchema,
  userKeySchema,
  joinRequestSchema,
  userRefSchema,
  createRoomSchema,
  roomVisibilitySchema,
  serverMessageSchema,
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
export type { SessionRequest, SendMessageRequest, HistoryRequest, RoomRef, JoinRequest, CreateRoomRequest, ServerMessageRequest } from './schemas';
export { EVENTS, SOCKET_PATH } from './events';
export type { Ack, AckFn, ServerToClientEvents, ClientToServerEvents, HandshakeAuth, ResumeResult } from './events';
export { parseOrThrow, assertContent } from './parse';
