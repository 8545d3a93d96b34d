import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** JSON logs with the node id on every line. */
export function createLogger(opts: { nodeId: string; level?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { node: opts.nodeId },
      // Tokens and cookies never reach the logs.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'token', 'auth.token'],
    },
    opts.destination,
  );
}

/** A logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
