import type { Socket } from 'socket.io';
import { ChatError, EVENTS, toErrorBody } from '@chat/protocol';
import type { Ack } from '@chat/protocol';
import type { Logger } from '@chat/observability';

type Handler = (payload: unknown) => Promise<object | void>;

/**
 * Registers a request handler with the contract's reply shape: `{ok:true,...}`
 * or `{ok:false,error:{code,message}}`. Errors never close the connection and
 * never reach the client as stacks; a request without an ack callback gets
 * its error as a `chat_error` event.
 */
export function onRequest(socket: Socket, event: string, handler: Handler, ctx: { logger: Logger; onError: (code: string) => void }): void {
  socket.on(event, (...args: unknown[]) => {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (reply: Ack) => void) : undefined;
    const payload = ack ? args.slice(0, -1)[0] : args[0];
    void run().then((reply) => {
      if (ack) ack(reply);
      else if (!reply.ok) socket.emit(EVENTS.error, { ...reply.error, event });
    });

    async function run(): Promise<Ack> {
      try {
        const result = await handler(payload);
        return { ok: true, ...(result ?? {}) };
      } catch (err) {
        if (!(err instanceof ChatError)) ctx.logger.error({ err, event }, 'unhandled socket request error');
        const error = toErrorBody(err);
        ctx.onError(error.code);
        return { ok: false, error };
      }
    }
  });
}
