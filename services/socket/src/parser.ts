import type { ServerOptions } from 'socket.io';

/** The optional msgpack parser: smaller frames, cheaper encoding; clients must use the same parser. */
export function parserFor(name: 'json' | 'msgpack'): ServerOptions['parser'] | undefined {
  if (name === 'json') return undefined;

  return require('socket.io-msgpack-parser') as ServerOptions['parser'];
}
