// The declarations build only (build.mjs): what the client's types need from @chat/protocol,
// taken from its two zod-free modules. Through the package's index the compiler would also
// infer every zod schema, which takes it 15 s longer; the runtime code imports nothing from it.
// A type the client uses that is missing here fails the build.
export type { ChatMessage, Member, MembersDiff, MembersUpdate, MessageBatch, HistoryPage, SessionView, AppSessionView } from '../../protocol/src/types';
export type { ErrorBody, ErrorCode } from '../../protocol/src/errors';
