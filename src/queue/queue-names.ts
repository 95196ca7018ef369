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
