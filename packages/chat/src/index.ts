export { createChatService } from './chat-service';
export type { ChatService, ChatDeps, SendStage } from './chat-service';
export { createMessageWriter } from './message-writer';
export type { MessageWriter, MessageWriterOptions } from './message-writer';
export { createKeyedThrottle } from './throttle';
export type { KeyedThrottle } from './throttle';
export { toChatMessage, toRoomView, toUserView, isoTime } from './views';
