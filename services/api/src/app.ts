import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { ChatError } from '@chat/protocol';
import type { ChatService } from '@chat/chat';
import type { TokenService } from '@chat/auth';
import type { Logger, Metrics } from '@chat/observability';
import { createOpsHandler } from '@chat/observability';
import { v1Routes } from './routes-v1';
import { seedRoutes } from './routes-seed';
import { errorHandler } from './errors';

export interface ApiDeps {
  chat: ChatService;
  tokens: TokenService;
  logger: Logger;
  metrics: Metrics;
  ready: () => Promise<boolean>;
  draining: () => boolean;
  corsOrigins: '*' | string[];
  /** Proxies in front of the node whose X-Forwarded-For is believed (0: none, 1: the load balancer). */
  trustProxyHops: number;
  /** Keys of the server API; empty: the route does not exist. */
  serverApiKeys: readonly string[];
}

/** Request bodies are small JSON documents; anything bigger is refused before parsing. */
const BODY_LIMIT = '16kb';

/**
 * The web client (services/web), which `pnpm build` writes to dist/web: beside
 * the bundle's own folder when a built node runs (dist/<service>/main.js), in
 * the repository's dist/ when the sources run (tsx, tests). Not built: `/` answers JSON.
 */
const WEB_DIRS = [path.join(__dirname, '..', 'web'), path.join(__dirname, '..', '..', '..', 'dist', 'web')];

/** The stateless REST node: any instance answers any request. */
export function createApiApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Exactly the configured hops: a client's own X-Forwarded-For never picks the address it is budgeted by.
  app.set('trust proxy', deps.trustProxyHops);
  app.use(helmet());
  app.use(
    cors({
      origin: deps.corsOrigins,
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['Content-Type', 'Authorization'],
      maxAge: 600,
    }),
  );

  // Probes only: /metrics is served on the node's internal listener, never here.
  const ops = createOpsHandler({ ready: deps.ready, draining: deps.draining, registry: deps.metrics.registry });
  app.use((req, res, next) => {
    if (!ops(req, res)) next();
  });

  app.use(express.json({ limit: BODY_LIMIT, strict: true }));
  app.use('/api/v1', v1Routes({ chat: deps.chat, tokens: deps.tokens, serverApiKeys: deps.serverApiKeys }));
  app.use('/mysql', seedRoutes(deps.chat));
  const webDir = WEB_DIRS.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
  // Revalidated on every load (ETag), so a new build reaches browsers at once; helmet's CSP covers the page (no inline code).
  if (webDir) app.use(express.static(webDir, { index: 'index.html', maxAge: 0, redirect: false }));
  app.get('/', (_req, res) => {
    res.json({ name: 'chat-cluster', api: '/api/v1', socket: '/socket.io', docs: 'docs/protocol.md' });
  });
  app.use((_req, _res, next) => next(new ChatError('not_found', 'No such route.')));
  app.use(errorHandler(deps.logger, (code) => deps.metrics.requestErrors.inc({ code })));
  return app;
}
