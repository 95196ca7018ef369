import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { errorMessage, isPermanent } from '../errors/index.js';
import type { DomainEvent } from '../events/index.js';
import { createLogThrottle, type Logger } from '../logger/index.js';
import type { Metrics } from '../metrics/index.js';
import type { EventHandler, HandlerRegistry } from './handler-registry.js';
import { JobData } from './job-data.js';
import { EVENTS_QUEUE, MAX_STALLED_COUNT } from './queue-names.js';
import { retryDelay, type RetryDelayOptions } from './retry-delay.js';

export interface EventWorker {
  /** True once connected and taking jobs, until `close()` starts. */
  isReady(): boolean;
  waitUntilReady(): Promise<void>;
  /** Stops taking jobs, lets the running ones finish, then disconnects. Safe to call more than once. */
  close(): Promise<void>;
}

export interface EventWorkerOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly concurrency: number;
  readonly logger: Logger;
  readonly handlers: HandlerRegistry;
  readonly metrics?: Metrics;
  readonly retry?: RetryDelayOptions;
}

const DEFAULT_RETRY: RetryDelayOptions = { baseMs: 1000, maxMs: 5 * 60_000 };

/**
 * Creates a worker on the events queue that dispatches each job to its handler by event type. A
 * `PermanentError` fails the job at once (bullmq `UnrecoverableError`, with the reason); anything else is retried
 * with exponential backoff that honours `TransientError.retryAfterMs`.
 */
export function createEventWorker(options: EventWorkerOptions): EventWorker {
  const logger = options.logger.child({ component: 'worker' });
  const throttle = createLogThrottle();
  const retry = options.retry ?? DEFAULT_RETRY;
  // Workers block on Redis, so their connection must wait for it rather than fail (bullmq requires null here).
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);

  const processor = async (job: Job<JobData>): Promise<void> => {
    const parsed = JobData.safeParse(job.data);
    if (!parsed.success) {
      logger.error({ jobId: job.id, issues: parsed.error.issues.length }, 'job data is malformed');
      throw new UnrecoverableError(`job data is malformed: ${parsed.error.message}`);
    }
    const { deliveryId, event } = parsed.data;
    const jobLogger = logger.child({ deliveryId, jobId: job.id, eventType: event.type });
    const handler = (options.handlers[event.type] ?? logOnly) as EventHandler;
    const started = performance.now();
    try {
      await handler(event, { logger: jobLogger, deliveryId, job });
      options.metrics?.jobFinished(event.type, 'completed', (performance.now() - started) / 1000);
      jobLogger.info({ attempt: job.attemptsMade + 1 }, 'job completed');
    } catch (error) {
      const seconds = (performance.now() - started) / 1000;
      if (isPermanent(error)) {
        options.metrics?.jobFinished(event.type, 'failed', seconds);
        jobLogger.error({ reason: errorMessage(error), advice: error.advice }, 'job failed permanently');
        throw new UnrecoverableError(errorMessage(error));
      }
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      options.metrics?.jobFinished(event.type, lastAttempt ? 'failed' : 'retried', seconds);
      const fields = { reason: errorMessage(error), attempt: job.attemptsMade + 1, lastAttempt };
      if (lastAttempt) jobLogger.error(fields, 'job failed after its last attempt');
      // Many jobs fail the same way while a host is down: one line a minute per reason.
      else throttle.warn(jobLogger, errorMessage(error), fields, 'job failed, will retry');
      throw error;
    }
  };

  const worker = new Worker<JobData>(EVENTS_QUEUE, processor, {
    connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    maxStalledCount: MAX_STALLED_COUNT,
    settings: {
      // Jobs name BACKOFF_TYPE as their backoff; this is its one implementation.
      backoffStrategy: (attemptsMade, _type, error) => retryDelay(attemptsMade, error, retry),
    },
  });
  worker.on('error', (error) => logger.warn({ err: errorMessage(error) }, 'worker connection error'));

  let closing: Promise<void> | undefined;
  return {
    isReady: () => closing === undefined && worker.isRunning(),
    waitUntilReady: () => worker.waitUntilReady().then(() => undefined),
    close() {
      closing ??= (async () => {
        logger.info('worker draining');
        await worker.close();
        connection.disconnect();
        logger.info('worker stopped');
      })();
      return closing;
    },
  };
}

async function logOnly(event: DomainEvent, context: { logger: Logger }): Promise<void> {
  context.logger.info({ event }, 'event received; no handler registered for it');
}
