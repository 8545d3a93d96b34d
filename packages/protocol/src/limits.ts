/** Size limits of the wire contract. Servers enforce them; clients may pre-check. */
export const LIMITS = {
  nickNameMax: 32,
  chatroomNameMax: 64,
  contentMax: 4000,
  clientMsgIdMax: 64,
  /** A socket.io frame larger than this is answered with `too_large`. */
  frameBytesMax: 64 * 1024,
  /** engine.io closes the connection of a client that sends a frame larger than this. */
  frameBytesHardMax: 100 * 1024,
  headNumMax: 1000,
  historyMax: 200,
  historyDefault: 50,
  /** A session token (app users carry their room names in it). */
  tokenMax: 8192,
  userKeyMin: 32,
  userKeyMax: 256,
  /** Room names an app token's `rooms` claim may list. */
  appRoomsMax: 50,
} as const;
