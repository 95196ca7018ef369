import { FlowProducer, Queue } from 'bullmq';
import type { Logger } from '../logger/index.js';
import { errorMessage } from '../errors/index.js';
import { connectRedis } from '../redis/connection.js';
import { redisKeys } from '../redis/keys.js';
import { JobData, type JobId } from './job-data.js';
import { BACKOFF_TYPE, DEDUPE_WINDOW_SECONDS, EVENTS_QUEUE, JOB_ATTEMPTS } from './queue-names.js';
import { QueueUnavailableError } from './queue-unavailable-error.js';

export interface EventJob {
  readonly jobId: JobId;
  readonly data: JobData;
}

export interface EnqueueResult {
  readonly jobIds: readonly JobId[];
  /** True when every job already existed: this delivery was seen before and nothing was enqueued. */
  readonly duplicate: boolean;
}

export type QueueCounts = Readonly<Record<'waiting' | 'active' | 'delayed' | 'failed' | 'completed', number>>;

/** The producer side of the events queue, as the http layer uses it. */
export interface EventProducer {
  /** Enqueues all jobs of one delivery atomically, or none (then throws `QueueUnavailableError`). */
  enqueue(jobs: readonly EventJob[]): Promise<EnqueueResult>;
  /** Resolves when Redis answers a PING within the command timeout. */
  ping(): Promise<boolean>;
  counts(): Promise<QueueCounts>;
  /** The bullmq queue, for inspection (tests, the read-only API). */
  readonly queue: Queue<JobData>;
  close(): Promise<void>;
}

export interface EventProducerOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly logger: Logger;
  /** A webhook answer must come in milliseconds: a Redis that does not answer in this time counts as down. */
  readonly commandTimeoutMs?: number;
  readonly attempts?: number;
}

/**
 * Creates the producer. Its Redis connection fails commands at once while disconnected (`enableOfflineQueue:
 * false`) instead of queueing them in memory, so a delivery during an outage gets a fast 503 and is retried by
 * its sender rather than being half-accepted by a process that may die.
 */
export function createEventProducer(options: EventProducerOptions): EventProducer {
  const logger = options.logger.child({ component: 'queue-producer' });
  const connection = connectRedis(options.redisUrl, {
    kind: 'intake',
    commandTimeoutMs: options.commandTimeoutMs ?? 1000,
  });
  let connectionDown = false;
  connection.on('error', (error: Error) => {
    if (!connectionDown) logger.warn({ err: error.message }, 'redis connection lost');
    connectionDown = true;
  });
  connection.on('ready', () => {
    if (connectionDown) logger.info('redis connection restored');
    connectionDown = false;
  });

  const queue = new Queue<JobData>(EVENTS_QUEUE, { connection, prefix: options.prefix });
  queue.on('error', () => undefined);
  const flows = new FlowProducer({ connection, prefix: options.prefix });
  flows.on('error', () => undefined);
  const keys = redisKeys(options.prefix);
  const jobKey = (jobId: string) => keys.jobKey(EVENTS_QUEUE, jobId);
  const attempts = options.attempts ?? JOB_ATTEMPTS;

  let closing: Promise<void> | undefined;
  return {
    queue,
    async enqueue(jobs) {
      const jobIds = jobs.map((job) => job.jobId);
      if (jobs.length === 0) return { jobIds, duplicate: false };
      for (const job of jobs) JobData.parse(job.data);
      try {
        // A job id that exists means the delivery was enqueued before (finished jobs are kept for the dedupe
        // window). Two copies racing past this check still make one job: bullmq's add is a no-op for an
        // existing id, inside the same Lua script that creates it. Only their `duplicate` flags may both say false.
        const existing = await connection.exists(...jobIds.map(jobKey));
        if (existing === jobIds.length) return { jobIds, duplicate: true };
        const options = (job: EventJob) => ({
          jobId: job.jobId,
          attempts,
          backoff: { type: BACKOFF_TYPE },
          removeOnComplete: { age: DEDUPE_WINDOW_SECONDS },
          removeOnFail: { age: DEDUPE_WINDOW_SECONDS },
        });
        const [only] = jobs;
        if (jobs.length === 1 && only !== undefined) {
          // One job is one Lua script, atomic by itself, and about twice as fast as a flow.
          await queue.add(only.data.event.type, only.data, options(only));
        } else {
          // A FlowProducer writes the whole bulk in one MULTI (Queue.addBulk pipelines, which is not atomic): a
          // Harbor push with several tags is all or nothing.
          await flows.addBulk(
            jobs.map((job) => ({
              name: job.data.event.type,
              queueName: EVENTS_QUEUE,
              data: job.data,
              opts: options(job),
            })),
          );
        }
        return { jobIds, duplicate: false };
      } catch (error) {
        throw new QueueUnavailableError(`queue unavailable: ${errorMessage(error)}`, { cause: error });
      }
    },
    async ping() {
      try {
        return (await connection.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async counts() {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
      return {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        completed: counts.completed ?? 0,
      };
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled([flows.close(), queue.close()]);
        connection.disconnect();
      })();
      return closing;
    },
  };
}
