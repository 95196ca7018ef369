import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { z } from 'zod';
import { errorMessage, isPermanent } from '../errors/index.js';
import { createLogThrottle, currentTrace, runWithTrace, Trace, type Logger } from '../logger/index.js';
import { connectRedis } from '../redis/connection.js';
import { MAX_STALLED_COUNT } from './queue-names.js';
import { retryDelay, type RetryDelayOptions } from './retry-delay.js';

/** The one backoff of every queue: from a second, doubling, to five minutes; a `Retry-After` is honoured. */
export const DEFAULT_RETRY: RetryDelayOptions = { baseMs: 1000, maxMs: 5 * 60_000 };

/**
 * How a worker holds a running job, and how often it looks for jobs whose worker died. bullmq's own defaults (30 s
 * each) unless configured (`WORKER_LOCK_DURATION_MS`, `WORKER_STALLED_INTERVAL_MS`).
 */
export interface WorkerTiming {
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
}

export const DEFAULT_WORKER_TIMING: WorkerTiming = { lockDurationMs: 30_000, stalledIntervalMs: 30_000 };

export type JobOutcome = 'completed' | 'failed' | 'retried';

/** What a job's processor gets besides its parsed data. */
export interface JobRun {
  /** Carries the job id, the kind's fields and (through the trace) the delivery and correlation ids. */
  readonly logger: Logger;
  readonly job: Job;
  readonly trace: Trace;
}

/** One kind of job on a queue: how its data is read, how it is named in the logs, and what runs it. */
export interface JobKind<T> {
  readonly schema: z.ZodType<T>;
  /** Names the job in its failure lines: `<what> failed permanently`, `<what> failed, will retry`. */
  readonly what: string;
  /** Names its data when malformed: `<data> data is malformed: ...`. */
  readonly data: string;
  /** Fields of every line the job logs, besides its id. */
  readonly fields?: (data: T, job: Job) => Record<string, unknown>;
  /** The trace when the job's data names its cause in its own terms (an event's delivery id). */
  readonly trace?: (data: T, job: Job) => Trace;
  readonly process: (data: T, run: JobRun) => Promise<void>;
  /** Told how each attempt ended, with its duration (metrics). */
  readonly finished?: (data: T, outcome: JobOutcome, seconds: number) => void;
  /** Logs `job completed` after each success. */
  readonly logCompleted?: boolean;
  /** Logs malformed data at error before failing it. */
  readonly logMalformed?: boolean;
}

/** A job kind whose data type is known only to itself (a queue may carry several). */
export type SomeJobKind = JobKind<unknown> & { readonly __kind: 'some' };

/** Erases a kind's data type: its own schema parses the data its own processor then gets. */
export function jobKind<T>(kind: JobKind<T>): SomeJobKind {
  return kind as unknown as SomeJobKind;
}

export interface JobWorker {
  /** True once connected and taking jobs, until `close()` starts. */
  isReady(): boolean;
  waitUntilReady(): Promise<void>;
  /** Stops taking jobs, lets the running ones finish, then disconnects. Safe to call more than once. */
  close(): Promise<void>;
}

export interface JobWorkerOptions {
  readonly queue: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly concurrency: number;
  /** The component's logger. */
  readonly logger: Logger;
  /** Which kind a job is, by its bullmq name. */
  readonly kindOf: (jobName: string) => SomeJobKind;
  readonly retry?: RetryDelayOptions;
  /** Lock and stalled-check timing; `DEFAULT_WORKER_TIMING` when absent. */
  readonly timing?: WorkerTiming | undefined;
  /** The line logged when the worker's connection fails. */
  readonly connectionErrorMessage: string;
}

/**
 * A job's data with the current trace added, for `queue.add`: a job enqueued while a delivery's job runs carries
 * that delivery's ids to its own log lines. The worker reads it back beside the kind's schema, so no job schema
 * needs to know about it, and a job enqueued before this field existed still parses.
 */
export function traced<T extends object>(data: T): T & { trace?: Trace } {
  const trace = currentTrace();
  return trace === undefined ? data : { ...data, trace };
}

/** The trace a job runs under: the one it carries, else what its kind reads from its data, else its own id. */
function traceOf<T>(kind: JobKind<T>, data: T, job: Job): Trace {
  const carried = Trace.safeParse((job.data as { trace?: unknown } | undefined)?.trace);
  if (carried.success) return carried.data;
  if (kind.trace) return kind.trace(data, job);
  const own = job.id ?? job.name;
  return { deliveryId: own, correlationId: own };
}

/**
 * The one way a job is processed on every queue: parse its data (malformed data fails at once), run it under its
 * trace, and sort failures: a `PermanentError` ends the job at once (bullmq `UnrecoverableError`, with the reason);
 * anything else is retried after `retryDelay` (exponential, honouring `TransientError.retryAfterMs`), its warning
 * written once a minute per reason, and at error on the last attempt.
 */
export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { logger } = options;
  const throttle = createLogThrottle();
  const retry = options.retry ?? DEFAULT_RETRY;
  const timing = options.timing ?? DEFAULT_WORKER_TIMING;
  const connection = connectRedis(options.redisUrl, { kind: 'blocking' });

  const processor = async (job: Job): Promise<void> => {
    const kind = options.kindOf(job.name);
    const parsed = kind.schema.safeParse(job.data);
    if (!parsed.success) {
      if (kind.logMalformed)
        logger.error({ jobId: job.id, issues: parsed.error.issues.length }, `${kind.data} data is malformed`);
      throw new UnrecoverableError(`${kind.data} data is malformed: ${parsed.error.message}`);
    }
    const data = parsed.data;
    const trace = traceOf(kind, data, job);
    const jobLogger = logger.child({ jobId: job.id, ...kind.fields?.(data, job) });
    await runWithTrace(trace, async () => {
      const started = performance.now();
      try {
        await kind.process(data, { logger: jobLogger, job, trace });
        kind.finished?.(data, 'completed', (performance.now() - started) / 1000);
        if (kind.logCompleted) jobLogger.info({ attempt: job.attemptsMade + 1 }, 'job completed');
      } catch (error) {
        const seconds = (performance.now() - started) / 1000;
        if (isPermanent(error)) {
          kind.finished?.(data, 'failed', seconds);
          jobLogger.error(
            { reason: errorMessage(error), advice: error.advice },
            `${kind.what} failed permanently`,
          );
          throw new UnrecoverableError(errorMessage(error));
        }
        const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        kind.finished?.(data, lastAttempt ? 'failed' : 'retried', seconds);
        const fields = { reason: errorMessage(error), attempt: job.attemptsMade + 1, lastAttempt };
        if (lastAttempt) jobLogger.error(fields, `${kind.what} failed after its last attempt`);
        // Many jobs fail the same way while a host is down: one line a minute per reason.
        else throttle.warn(jobLogger, errorMessage(error), fields, `${kind.what} failed, will retry`);
        throw error;
      }
    });
  };

  const worker = new Worker(options.queue, processor, {
    connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    maxStalledCount: MAX_STALLED_COUNT,
    lockDuration: timing.lockDurationMs,
    stalledInterval: timing.stalledIntervalMs,
    settings: {
      // Jobs name BACKOFF_TYPE as their backoff; this is its one implementation.
      backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
        retryDelay(attemptsMade, error, retry),
    },
  });
  worker.on('error', (error) => logger.warn({ err: errorMessage(error) }, options.connectionErrorMessage));

  let closing: Promise<void> | undefined;
  return {
    isReady: () => closing === undefined && worker.isRunning(),
    waitUntilReady: () => worker.waitUntilReady().then(() => undefined),
    close() {
      closing ??= worker.close().then(() => connection.disconnect());
      return closing;
    },
  };
}
