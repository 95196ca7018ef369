import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { errorMessage, isPermanent } from '../errors/index.js';
import { createLogThrottle, type Logger } from '../logger/index.js';
import { BACKOFF_TYPE, JOB_ATTEMPTS, MAX_STALLED_COUNT, retryDelay } from '../queue/index.js';

/** The queue of "look at this app again" requests: after a landing, a merge, a restart, or when a soak ends. */
export const RECONCILE_QUEUE = 'reconcile';

export const ReconcileJob = z.object({
  policy: z.string().min(1),
  app: z.string().min(1),
  reason: z.string(),
});
export type ReconcileJob = z.infer<typeof ReconcileJob>;

export interface ReconcileQueue {
  /** Asks for a reconcile now, or at `at` (epoch ms) for timers. */
  request(job: ReconcileJob, at?: number): Promise<void>;
  close(): Promise<void>;
}

/** bullmq ids may not contain `:`; policy and app names are DNS labels already. */
function jobId(job: ReconcileJob, at?: number): string {
  // A timer for the same app and instant is one job; immediate requests are all kept (each is cheap and
  // idempotent, and the worker skips those a later run already covered).
  return at === undefined
    ? `reconcile-${job.policy}-${job.app}-${Date.now()}-${randomBytes(4).toString('hex')}`
    : `recheck-${job.policy}-${job.app}-${at}`;
}

export function createReconcileQueue(options: { redisUrl: string; prefix: string }): ReconcileQueue {
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queue = new Queue<ReconcileJob>(RECONCILE_QUEUE, { connection, prefix: options.prefix });
  let closed = false;
  return {
    async request(job, at) {
      await queue.add('reconcile', ReconcileJob.parse(job), {
        jobId: jobId(job, at),
        delay: at === undefined ? 0 : Math.max(0, at - Date.now()),
        attempts: JOB_ATTEMPTS,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue.close();
      connection.disconnect();
    },
  };
}

export interface ReconcileWorker {
  waitUntilReady(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs reconcile jobs. `run` does one app under that app's lock; a job enqueued before the start of a reconcile
 * that already finished is skipped, since that run saw everything the job was asked about.
 */
export function createReconcileWorker(options: {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  logger: Logger;
  run: (job: ReconcileJob, logger: Logger, enqueuedAt: number) => Promise<void>;
}): ReconcileWorker {
  const logger = options.logger.child({ component: 'reconcile-worker' });
  const throttle = createLogThrottle();
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const processor = async (job: Job<ReconcileJob>) => {
    const parsed = ReconcileJob.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`reconcile job data is malformed: ${parsed.error.message}`);
    const jobLogger = logger.child({
      jobId: job.id,
      deliveryId: job.id,
      policy: parsed.data.policy,
      app: parsed.data.app,
    });
    try {
      await options.run(parsed.data, jobLogger, job.timestamp + (job.opts.delay ?? 0));
    } catch (error) {
      if (isPermanent(error)) {
        jobLogger.error(
          { reason: errorMessage(error), advice: error.advice },
          'reconcile failed permanently',
        );
        throw new UnrecoverableError(errorMessage(error));
      }
      // Every app fails the same way while a host is down: one line a minute per reason.
      throttle.warn(
        jobLogger,
        errorMessage(error),
        { reason: errorMessage(error), attempt: job.attemptsMade + 1 },
        'reconcile failed, will retry',
      );
      throw error;
    }
  };
  const worker = new Worker<ReconcileJob>(RECONCILE_QUEUE, processor, {
    connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    maxStalledCount: MAX_STALLED_COUNT,
    settings: {
      backoffStrategy: (attempts: number, _type?: string, error?: Error) =>
        retryDelay(attempts, error, { baseMs: 1000, maxMs: 5 * 60_000 }),
    },
  });
  worker.on('error', (error) => logger.warn({ err: error }, 'reconcile worker error'));
  let closing: Promise<void> | undefined;
  return {
    waitUntilReady: () => worker.waitUntilReady().then(() => undefined),
    close() {
      closing ??= worker.close().then(() => connection.disconnect());
      return closing;
    },
  };
}
