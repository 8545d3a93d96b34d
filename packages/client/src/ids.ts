/**
 * A fresh clientMsgId: 16 random bytes as 32 hex digits. crypto.getRandomValues
 * exists in Node (globalThis.crypto) and in every browser, also on pages
 * served over plain http, where crypto.randomUUID does not.
 */
export function newClientMsgId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
