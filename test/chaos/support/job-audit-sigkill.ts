/**
 * What the job queues did, read straight from Redis: `queueState` says how many jobs failed, `failedJobs` says which
 * and why, so a failing chaos run names the job (e.g. "job stalled more than allowable limit" after two kills);
 * `completedJobs` says how much work a run caused (e.g. the reconciles a person's pushes to main set off).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { GATES_QUEUE } from '../../../src/gates/runtime/index.js';
import { RECONCILE_QUEUE } from '../../../src/promotion/index.js';
import { EVENTS_QUEUE } from '../../../src/queue/index.js';
import { QUEUE_PREFIX } from './world.js';

export interface FailedJob {
  queue: string;
  id: string;
  reason: string;
  attemptsMade: number;
  /** Times the job was found without a living worker and put back. */
  stalled: number;
  data: string;
}

const QUEUES = [EVENTS_QUEUE, RECONCILE_QUEUE, GATES_QUEUE];

export async function failedJobs(redisUrl: string): Promise<FailedJob[]> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const found: FailedJob[] = [];
  try {
    for (const name of QUEUES) {
      const queue = new Queue(name, { connection, prefix: QUEUE_PREFIX });
      for (const job of await queue.getFailed(0, 50)) {
        found.push({
          queue: name,
          id: job.id ?? '?',
          reason: job.failedReason,
          attemptsMade: job.attemptsMade,
          stalled: job.stalledCounter,
          data: JSON.stringify(job.data).slice(0, 300),
        });
      }
      await queue.close();
    }
  } finally {
    connection.disconnect();
  }
  return found;
}

/** Jobs completed per queue (bullmq keeps the last 10,000 of each). */
export async function completedJobs(redisUrl: string): Promise<Record<string, number>> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const counts: Record<string, number> = {};
  try {
    for (const name of QUEUES) {
      const queue = new Queue(name, { connection, prefix: QUEUE_PREFIX });
      counts[name] = (await queue.getJobCounts('completed')).completed ?? 0;
      await queue.close();
    }
  } finally {
    connection.disconnect();
  }
  return counts;
}
