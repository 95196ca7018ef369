export { JobData, JobId } from './job-data.js';
export { jobIdFor } from './job-id.js';
export {
  EVENTS_QUEUE,
  RECONCILE_QUEUE,
  GATES_QUEUE,
  QUEUES,
  DEDUPE_WINDOW_SECONDS,
  JOB_ATTEMPTS,
  BACKOFF_TYPE,
  MAX_STALLED_COUNT,
  retainedJobOptions,
} from './queue-names.js';
export { retryDelay, type RetryDelayOptions } from './retry-delay.js';
export { QueueUnavailableError } from './queue-unavailable-error.js';
export {
  createEventProducer,
  type EventJob,
  type EventProducer,
  type EventProducerOptions,
  type EnqueueResult,
  type QueueCounts,
} from './create-event-producer.js';
export { createEventWorker, type EventWorker, type EventWorkerOptions } from './create-event-worker.js';
export {
  createJobWorker,
  jobKind,
  traced,
  DEFAULT_RETRY,
  DEFAULT_WORKER_TIMING,
  type WorkerTiming,
  type JobKind,
  type JobOutcome,
  type JobRun,
  type JobWorker,
  type JobWorkerOptions,
  type SomeJobKind,
} from './create-job-worker.js';
export {
  createReconcileQueue,
  createReconcileWorker,
  ReconcileJob,
  type ReconcileQueue,
  type ReconcileWorker,
} from './reconcile-queue.js';
export type { EventHandler, HandlerRegistry, JobContext } from './handler-registry.js';
