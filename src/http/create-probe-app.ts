import express, { type Express } from 'express';
import type { Metrics } from '../metrics/index.js';

export interface ProbeAppDeps {
  readonly metrics: Metrics;
  /** True while Redis answers. */
  readonly redisUp: () => Promise<boolean>;
  readonly worker: { isReady(): boolean };
}

/**
 * The worker's own HTTP surface: `/healthz`, `/readyz` (Redis answers and the worker takes jobs) and `/metrics`,
 * and nothing else, so a worker pod never takes webhook deliveries even when a Service selects it by mistake.
 */
export function createProbeApp(deps: ProbeAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const redis = await deps.redisUp();
    const worker = deps.worker.isReady() ? 'ok' : 'not ready';
    const ready = redis && worker === 'ok';
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ok' : 'not ready', redis: redis ? 'ok' : 'down', worker });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  return app;
}
