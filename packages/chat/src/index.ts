export { createChatService, SERVER_IDENTITY } from './chat-service';
export type { ChatService, ChatDeps, ChatLimiters, ChatObserver } from './chat-service';
export type { SendStage, GroupCommitOptions } from './message-path';
export type { SessionContext } from './sessions';
export type { Caller } from './access';
export { toChatMessage, toRoomView, toUserView, isoTime } from './views';
