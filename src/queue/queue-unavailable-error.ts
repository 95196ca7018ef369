import { TransientError } from '../errors/index.js';

/** Redis could not take the jobs; nothing was enqueued, so the sender may safely retry. */
export class QueueUnavailableError extends TransientError {}
