import type { DomainEvent } from '../events/index.js';
import type { Logger } from '../logger/index.js';
import type { Metrics } from '../metrics/index.js';
import { createJobWorker, jobKind, type JobWorker, type WorkerTiming } from './create-job-worker.js';
import type { EventHandler, HandlerRegistry } from './handler-registry.js';
import { JobData } from './job-data.js';
import { EVENTS_QUEUE } from './queue-names.js';
import type { RetryDelayOptions } from './retry-delay.js';

export type EventWorker = JobWorker;

export interface EventWorkerOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly concurrency: number;
  readonly logger: Logger;
  readonly handlers: HandlerRegistry;
  readonly metrics?: Metrics;
  readonly retry?: RetryDelayOptions;
  readonly timing?: WorkerTiming | undefined;
}

/**
 * Creates a worker on the events queue that dispatches each job to its handler by event type. A
 * `PermanentError` fails the job at once (bullmq `UnrecoverableError`, with the reason); anything else is retried
 * with exponential backoff that honours `TransientError.retryAfterMs`. The job runs under its delivery's trace:
 * the sender's delivery id, and the job's id as the correlation id of everything it causes.
 */
export function createEventWorker(options: EventWorkerOptions): EventWorker {
  const logger = options.logger.child({ component: 'worker' });
  const kind = jobKind({
    schema: JobData,
    what: 'job',
    data: 'job',
    logMalformed: true,
    logCompleted: true,
    fields: (data) => ({ deliveryId: data.deliveryId, eventType: data.event.type }),
    trace: (data, job) => ({ deliveryId: data.deliveryId, correlationId: job.id ?? data.deliveryId }),
    process: async ({ deliveryId, event }, { logger: jobLogger, job }) => {
      const handler = (options.handlers[event.type] ?? logOnly) as EventHandler;
      await handler(event, { logger: jobLogger, deliveryId, job });
    },
    finished: (data, outcome, seconds) => options.metrics?.jobFinished(data.event.type, outcome, seconds),
  });
  const worker = createJobWorker({
    queue: EVENTS_QUEUE,
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger,
    kindOf: () => kind,
    connectionErrorMessage: 'worker connection error',
    timing: options.timing,
    ...(options.retry ? { retry: options.retry } : {}),
  });
  let closing: Promise<void> | undefined;
  return {
    isReady: () => closing === undefined && worker.isReady(),
    waitUntilReady: worker.waitUntilReady,
    close() {
      closing ??= (async () => {
        logger.info('worker draining');
        await worker.close();
        logger.info('worker stopped');
      })();
      return closing;
    },
  };
}

async function logOnly(event: DomainEvent, context: { logger: Logger }): Promise<void> {
  context.logger.info({ event }, 'event received; no handler registered for it');
}
