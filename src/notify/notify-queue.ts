import { Queue } from 'bullmq';
import { z } from 'zod';
import { errorMessage } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { NotifySink } from '../policy/schema.js';
import { createJobWorker, jobKind, traced, type JobWorker } from '../queue/create-job-worker.js';
import { BACKOFF_TYPE, DEDUPE_WINDOW_SECONDS, NOTIFY_QUEUE } from '../queue/queue-names.js';
import type { RetryDelayOptions } from '../queue/retry-delay.js';
import { connectRedis } from '../redis/connection.js';
import { redisKeys } from '../redis/keys.js';
import { deliverToSink, type Sink } from './deliver.js';
import { NotifyEvent, notifyEventId } from './event.js';

export { NOTIFY_QUEUE } from '../queue/queue-names.js';

/**
 * Attempts of one notification: with the one backoff (1 s doubling to 5 minutes) about two hours of a sink being
 * down. A notification later than that is noise; it ends in the failed set, logged.
 */
export const NOTIFY_ATTEMPTS = 30;

/** Longest an emit may hold the promotion path while Redis is slow: after this it is logged and dropped. */
const ENQUEUE_TIMEOUT_MS = 5000;

/** A job: one event for one sink. The sink holds only secret references, never a secret. */
// Not strict: `traced` adds the trace of the emitting job beside these fields, and the worker reads it.
export const NotifyJob = z.object({
  policy: z.string().min(1),
  eventId: z.string().min(1).max(400),
  sink: NotifySink,
  event: NotifyEvent,
});
export type NotifyJob = z.output<typeof NotifyJob>;

/** The job id: the event's id and the sink's name, so one event reaches each sink at most once per dedupe window. */
export function notifyJobId(eventId: string, sink: string): string {
  return `${eventId}--${sink}`;
}

export interface Notifier {
  /**
   * Enqueues one job per sink of the event's policy that takes its kind. Never throws and never waits longer than
   * a few seconds: a notification must not hold up or fail a promotion. Resolves to the job ids enqueued.
   */
  notify(event: NotifyEvent): Promise<string[]>;
  close(): Promise<void>;
}

export function createNotifier(options: {
  redisUrl: string;
  prefix: string;
  logger: Logger;
  /** The sinks of a policy as it is now (none when the policy is gone). */
  sinksOf: (policy: string) => readonly Sink[];
}): Notifier {
  const logger = options.logger.child({ component: 'notify' });
  const connection = connectRedis(options.redisUrl, { kind: 'blocking' });
  const queue = new Queue(NOTIFY_QUEUE, { connection, prefix: options.prefix });
  // A failed enqueue is logged by `notify`; the queue's own connection errors need no second line.
  queue.on('error', () => undefined);
  let closed = false;

  const enqueue = async (event: NotifyEvent): Promise<string[]> => {
    const parsed = NotifyEvent.parse(event);
    const eventId = notifyEventId(event);
    const ids: string[] = [];
    for (const sink of options.sinksOf(parsed.policy)) {
      if (sink.events && !sink.events.includes(parsed.kind)) continue;
      const jobId = notifyJobId(eventId, sink.name);
      await queue.add('notify', traced({ policy: parsed.policy, eventId, sink, event: parsed }), {
        jobId,
        attempts: NOTIFY_ATTEMPTS,
        backoff: { type: BACKOFF_TYPE },
        // Kept as long as events are, so the same event emitted again (a retried reconcile) adds nothing.
        removeOnComplete: { age: DEDUPE_WINDOW_SECONDS },
        removeOnFail: { age: DEDUPE_WINDOW_SECONDS },
      });
      ids.push(jobId);
    }
    return ids;
  };

  return {
    async notify(event) {
      if (closed) return [];
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          enqueue(event),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('enqueueing took too long')), ENQUEUE_TIMEOUT_MS);
          }),
        ]);
      } catch (error) {
        logger.warn(
          {
            kind: event.kind,
            policy: event.policy,
            app: event.app,
            env: event.env,
            reason: errorMessage(error),
          },
          'notification not enqueued',
        );
        return [];
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue.close();
      connection.disconnect();
    },
  };
}

/** Outcome of one delivery attempt, for a counter. */
export type NotifyOutcome = 'completed' | 'failed' | 'retried';

export function createNotifyWorker(options: {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  logger: Logger;
  /** Where secret references named `env` are read; the process environment by default. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  retry?: RetryDelayOptions;
  finished?: (sink: Sink, outcome: NotifyOutcome) => void;
}): JobWorker {
  const logger = options.logger.child({ component: 'notify-worker' });
  const redis = connectRedis(options.redisUrl, { kind: 'blocking' });
  const keys = redisKeys(options.prefix);
  const kind = jobKind({
    schema: NotifyJob,
    what: 'notification',
    data: 'notification job',
    fields: (data) => ({ policy: data.policy, sink: data.sink.name, eventId: data.eventId }),
    logMalformed: true,
    process: (data, run) =>
      deliverToSink(data.policy, data.sink, data.event, data.eventId, {
        redis,
        keys,
        env: options.env ?? process.env,
        timeoutMs: options.timeoutMs ?? 10_000,
        logger: run.logger,
      }),
    finished: (data, outcome) => options.finished?.(data.sink, outcome),
  });
  const worker = createJobWorker({
    queue: NOTIFY_QUEUE,
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger,
    kindOf: () => kind,
    ...(options.retry ? { retry: options.retry } : {}),
    connectionErrorMessage: 'notify worker error',
  });
  return {
    isReady: () => worker.isReady(),
    waitUntilReady: () => worker.waitUntilReady(),
    async close() {
      await worker.close();
      redis.disconnect();
    },
  };
}
