import { parseArgs } from 'node:util';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import { createEventWorker, type EventWorker, type HandlerRegistry } from '../queue/index.js';
import type { Command } from './index.js';
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
  });
  await worker.waitUntilReady();
  deps.logger.info({ concurrency: deps.config.concurrency }, 'worker taking jobs');
  return { worker, close: () => worker.close() };
}

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run queued jobs (no HTTP)',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.stdout(
        'Usage: promobot worker\n\nRuns jobs from the queue until SIGTERM, then drains them and exits.\n',
      );
      return 0;
    }
    const config = io.config();
    const logger = io.logger(config).child({ role: 'worker' });
    const jobs = await io.jobs(config, logger);
    const running = await startWorker({ config, logger, metrics: createMetrics(), handlers: jobs.handlers });
    await jobs.start();
    // Closed in reverse: the event worker drains first, then the reconciles.
    return runUntilStopped(io, logger, [jobs, running]);
  },
};
