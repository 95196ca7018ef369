/** The one queue normalized events travel on; its keys live under the configured prefix. */
export const EVENTS_QUEUE = 'events';

/**
 * How long a finished job (and so its id) is kept. A redelivery within this window maps to the existing job and
 * enqueues nothing, even after the first one completed or failed. bullmq prunes by age lazily, when later jobs
 * finish, so ids live at least this long. Three days covers sender retries and a person pressing "redeliver" on
 * the next working day; jobs are a few kilobytes each.
 */
export const DEDUPE_WINDOW_SECONDS = 3 * 24 * 60 * 60;

/**
 * Attempts of a job whose handler keeps failing with a transient error (an SCM, Prometheus or git remote that is
 * down). Backoff grows to its 5-minute cap within ten attempts, so this keeps a job trying for about three days —
 * the dedupe window — instead of dropping a push into the failed set after a two-minute outage. Only a
 * `PermanentError` ends a job early.
 */
export const JOB_ATTEMPTS = 900;

/** Name of the backoff strategy the worker implements (see `retryDelay`). */
export const BACKOFF_TYPE = 'promobot';

/**
 * How many times a job whose worker died (SIGKILL, OOM, a lost node) is put back on the queue. bullmq's default,
 * 1, fails any job that was running across two crashes, and a push acknowledged with 202 would never land,
 * although every handler is safe to redo.
 */
export const MAX_STALLED_COUNT = 50;

/** The queue of "look at this app again" requests: after a landing, a merge, a restart, or when a soak ends. */
export const RECONCILE_QUEUE = 'reconcile';

/** The queue of gate and watch rounds: one delayed job per round, so a soak survives restarts. */
export const GATES_QUEUE = 'gates';

/** The queue of outbound notifications: one job per event and sink, so a slow or failing sink delays nothing else. */
export const NOTIFY_QUEUE = 'notify';

/** Every queue promobot runs, for tools that look at all of them. */
export const QUEUES = [EVENTS_QUEUE, RECONCILE_QUEUE, GATES_QUEUE, NOTIFY_QUEUE] as const;

/**
 * Options of a job on the reconcile and gates queues: kept a day after success (10,000 at most) and a week after
 * failure, for inspection; retried like events (`BACKOFF_TYPE`, `JOB_ATTEMPTS`).
 */
export function retainedJobOptions(jobId: string, delayMs = 0) {
  return {
    jobId,
    delay: Math.max(0, delayMs),
    attempts: JOB_ATTEMPTS,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
