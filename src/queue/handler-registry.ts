import type { Job } from 'bullmq';
import type { DomainEvent, DomainEventType } from '../events/index.js';
import type { Logger } from '../logger/index.js';
import type { JobData } from './job-data.js';

/** What a handler gets besides its event. */
export interface JobContext {
  /** Carries `deliveryId` and `jobId` on every line. */
  readonly logger: Logger;
  readonly deliveryId: string;
  readonly job: Job<JobData>;
}

export type EventHandler<T extends DomainEventType = DomainEventType> = (
  event: Extract<DomainEvent, { type: T }>,
  context: JobContext,
) => Promise<void>;

/**
 * Which handler runs for which event type. The composition root (`main.ts`) fills it in; an event type with no
 * handler is logged and completes. Handlers throw `TransientError` to be retried, `PermanentError` to fail at once.
 */
export type HandlerRegistry = { readonly [T in DomainEventType]?: EventHandler<T> };
