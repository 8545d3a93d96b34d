import { ChatError, EVENTS, toErrorBody } from '@chat/protocol';
import type { Ack } from '@chat/protocol';
import type { Logger } from '@chat/observability';
import type { ChatSocket } from './chat-socket';

/** A request's work: the socket it came on and its payload; resolves with the reply's fields. */
export type RequestHandler = (socket: ChatSocket, payload: unknown) => Promise<object | void>;

/**
 * A listener for one request event with the contract's reply shape:
 * `{ok:true,...}` or `{ok:false,error:{code,message}}`. Errors never close the
 * connection and never reach the client as stacks; a request without an ack
 * callback gets its error as a `chat_error` event.
 *
 * One listener per node, shared by every socket: socket.io calls it with the
 * socket as `this`, so an idle connection holds no closure of its own.
 */
export function requestListener(event: string, handler: RequestHandler, ctx: { logger: Logger; onError: (code: string) => void }) {
  async function run(socket: ChatSocket, payload: unknown): Promise<Ack> {
    try {
      const result = await handler(socket, payload);
      return { ok: true, ...(result ?? {}) };
    } catch (err) {
      if (!(err instanceof ChatError)) ctx.logger.error({ err, event }, 'unhandled socket request error');
      const error = toErrorBody(err);
      ctx.onError(error.code);
      return { ok: false, error };
    }
  }

  return function onRequest(this: ChatSocket, ...args: unknown[]): void {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (reply: Ack) => void) : undefined;
    const payload = ack ? args.slice(0, -1)[0] : args[0];
    void run(this, payload).then((reply) => {
      if (ack) ack(reply);
      else if (!reply.ok) this.emit(EVENTS.error, { ...reply.error, event });
    });
  };
}
