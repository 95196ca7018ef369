import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createBoardRoutes, type BoardRoutesDeps } from '../board/create-board-routes.js';
import type { Config } from '../config/index.js';
import { Source } from '../events/index.js';
import type { Logger } from '../logger/index.js';
import type { Metrics } from '../metrics/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import type { EventProducer } from '../queue/index.js';
import { createWebhookRoute, webhookBodyErrors } from './create-webhook-route.js';

export interface HttpAppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly queue: Pick<EventProducer, 'enqueue' | 'ping'>;
  readonly metrics: Metrics;
  /** The policy set in force, read per delivery: what no policy can act on is answered 200 without a job. */
  readonly policies?: () => readonly PromotionPolicy[];
  /** The worker of this process, when it runs one (`start`); `/readyz` then waits for it too. */
  readonly worker?: { isReady(): boolean };
  /** The release board (`GET /`, `/api/v1`), when this process serves it. */
  readonly board?: BoardRoutesDeps;
}

/**
 * Builds the express app: the four webhook routes, `/healthz`, `/readyz` and `/metrics`. Everything it uses is
 * passed in, so tests and `start` can build several side by side.
 *
 * @example
 * const app = createHttpApp({ config, logger, queue: producer, metrics: createMetrics() });
 * app.listen(config.port, config.host);
 */
export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  for (const source of Source.options) {
    app.post(`/webhooks/${source}`, ...createWebhookRoute(source, deps));
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const redis = await deps.queue.ping();
    const worker = deps.worker === undefined ? 'elsewhere' : deps.worker.isReady() ? 'ok' : 'not ready';
    const ready = redis && worker !== 'not ready';
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ok' : 'not ready', redis: redis ? 'ok' : 'down', worker });
  });

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  if (deps.board) app.use(createBoardRoutes(deps.board));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use(webhookBodyErrors);
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error(
      { err: error instanceof Error ? error.message : String(error) },
      'unhandled http error',
    );
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  });
  return app;
}
