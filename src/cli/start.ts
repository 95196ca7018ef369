import { parseArgs } from 'node:util';
import { createMetrics } from '../metrics/index.js';
import type { Command } from './command.js';
import { runUntilStopped, startServe } from './serve.js';
import { startWorker } from './worker.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'run serve and worker in one process',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.stdout(
        'Usage: promobot start\n\nServes webhooks and runs jobs in one process; SIGTERM drains both.\n',
      );
      return 0;
    }
    const config = io.config();
    const logger = io.logger(config).child({ role: 'start' });
    // One registry for both halves, so /metrics shows deliveries and jobs together.
    const metrics = createMetrics();
    const jobs = await io.jobs(config, logger, metrics);
    // Reconciles and gate rounds run before event jobs are taken, so "taking jobs" means fully up.
    await jobs.start();
    const worker = await startWorker({ config, logger, metrics, handlers: jobs.handlers });
    const serve = await startServe({
      config,
      logger,
      metrics,
      worker: worker.worker,
      ...(jobs.policies ? { policies: jobs.policies } : {}),
    });
    // One policy set for both halves: SIGHUP reloads it once, for intake and jobs alike.
    io.hangups(() => void serve.policies.reload());
    return runUntilStopped(io, logger, [jobs, worker, serve]);
  },
};
