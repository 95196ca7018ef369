import { parseArgs } from 'node:util';
import type { Config } from '../config/index.js';
import { createProbeApp, startHttpServer } from '../http/index.js';
import type { Logger } from '../logger/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import {
  createEventProducer,
  createEventWorker,
  type EventWorker,
  type HandlerRegistry,
} from '../queue/index.js';
import type { Command } from './command.js';
import { runUntilStopped, type Running } from './serve.js';

export interface WorkerDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly handlers: HandlerRegistry;
}

/** Starts a worker on the events queue and resolves once it takes jobs. */
export async function startWorker(deps: WorkerDeps): Promise<Running & { worker: EventWorker }> {
  const worker = createEventWorker({
    redisUrl: deps.config.redisUrl,
    prefix: deps.config.queuePrefix,
    concurrency: deps.config.concurrency,
    logger: deps.logger,
    handlers: deps.handlers,
    metrics: deps.metrics,
    timing: deps.config.worker,
  });
  await worker.waitUntilReady();
  deps.logger.info({ concurrency: deps.config.concurrency }, 'worker taking jobs');
  return { worker, close: () => worker.close() };
}

/**
 * Serves the probes and metrics of a worker on `HOST:PORT`. The producer is only a Redis connection for `/readyz`
 * and the queue-depth gauge; it never enqueues.
 */
export async function startProbes(
  deps: Omit<WorkerDeps, 'handlers'> & { worker: { isReady(): boolean } },
): Promise<Running & { url: string }> {
  const { config, logger, metrics } = deps;
  const producer = createEventProducer({ redisUrl: config.redisUrl, prefix: config.queuePrefix, logger });
  metrics.trackQueueDepth(() => producer.counts());
  const app = createProbeApp({ metrics, redisUp: () => producer.ping(), worker: deps.worker });
  const server = await startHttpServer(app, config.port, config.host);
  logger.info({ url: server.url }, 'serving probes and metrics');
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    close() {
      closing ??= (async () => {
        await server.close();
        await producer.close();
      })();
      return closing;
    },
  };
}

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run queued jobs (HTTP: only /healthz, /readyz, /metrics)',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.stdout(
        [
          'Usage: promobot worker',
          '',
          'Runs jobs from the queue until SIGTERM, then drains them and exits.',
          'Serves GET /healthz, /readyz and /metrics on HOST:PORT for probes and scraping; no webhook routes.',
          '',
        ].join('\n'),
      );
      return 0;
    }
    const config = io.config();
    const logger = io.logger(config).child({ role: 'worker' });
    const metrics = createMetrics();
    const jobs = await io.jobs(config, logger, metrics);
    // Reconciles and gate rounds run before event jobs are taken, so "taking jobs" means fully up.
    await jobs.start();
    const running = await startWorker({ config, logger, metrics, handlers: jobs.handlers });
    const probes = await startProbes({ config, logger, metrics, worker: running.worker });
    io.hangups(() => void jobs.policies?.reload());
    // Closed in reverse: probes first (the pod turns unready), then the event worker drains, then the reconciles.
    return runUntilStopped(io, logger, [jobs, running, probes]);
  },
};
