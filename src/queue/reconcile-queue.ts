import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../logger/index.js';
import { connectRedis } from '../redis/connection.js';
import { createJobWorker, jobKind, traced, type WorkerTiming } from './create-job-worker.js';
import { RECONCILE_QUEUE, retainedJobOptions } from './queue-names.js';

export { RECONCILE_QUEUE } from './queue-names.js';

export const ReconcileJob = z.object({
  policy: z.string().min(1),
  app: z.string().min(1),
  reason: z.string(),
});
export type ReconcileJob = z.infer<typeof ReconcileJob>;

export interface ReconcileQueue {
  /**
   * Asks for a reconcile now, or at `at` (epoch ms) for timers. Asked while a job runs, the reconcile carries that
   * job's delivery and correlation ids.
   */
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
  const connection = connectRedis(options.redisUrl, { kind: 'blocking' });
  const queue = new Queue(RECONCILE_QUEUE, { connection, prefix: options.prefix });
  let closed = false;
  return {
    async request(job, at) {
      await queue.add(
        'reconcile',
        traced(ReconcileJob.parse(job)),
        retainedJobOptions(jobId(job, at), at === undefined ? 0 : at - Date.now()),
      );
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
  timing?: WorkerTiming | undefined;
}): ReconcileWorker {
  const kind = jobKind({
    schema: ReconcileJob,
    what: 'reconcile',
    data: 'reconcile job',
    fields: (data) => ({ policy: data.policy, app: data.app }),
    process: (data, { logger, job }) => options.run(data, logger, job.timestamp + (job.opts.delay ?? 0)),
  });
  return createJobWorker({
    queue: RECONCILE_QUEUE,
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger: options.logger.child({ component: 'reconcile-worker' }),
    kindOf: () => kind,
    connectionErrorMessage: 'reconcile worker error',
    timing: options.timing,
  });
}
