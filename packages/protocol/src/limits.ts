/** Size limits of the wire contract. Servers enforce them; clients may pre-check. */
export const LIMITS = {
  nickNameMax: 32,
  chatroomNameMax: 64,
  contentMax: 4000,
  clientMsgIdMax: 64,
  /** A socket.io frame larger than this is answered with `too_large`. */
  frameBytesMax: 64 * 1024,
  headNumMax: 1000,
  historyMax: 200,
  historyDefault: 50,
  idMax: 40,
} as const;
