import { z } from 'zod';
import { DomainEvent, Source } from '../events/index.js';

/** bullmq refuses custom job ids with `:` (its key separator) and ids that are plain integers. */
export const JobId = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._-]{0,199}$/, 'letters, digits, ".", "_" and "-", starting with a letter');
export type JobId = z.infer<typeof JobId>;

/** What every job on the events queue carries; validated when enqueued and again when a worker picks it up. */
export const JobData = z.object({
  /** The sender's delivery id, or a hash of the body when the sender has none (Harbor, registry). */
  deliveryId: z.string().min(1),
  source: Source,
  receivedAt: z.iso.datetime({ offset: true }),
  event: DomainEvent,
});
export type JobData = z.infer<typeof JobData>;
