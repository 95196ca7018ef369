import { exponentialDelay, isTransient } from '../errors/index.js';

export interface RetryDelayOptions {
  /** Delay before the first retry; doubled on each later one. */
  readonly baseMs: number;
  /** Longest wait between two attempts. */
  readonly maxMs: number;
}

/**
 * How long to wait before the next attempt: exponential from `baseMs`, capped at `maxMs`, and never sooner than
 * the other side asked for (`TransientError.retryAfterMs`, from a Retry-After header).
 *
 * @example
 * retryDelay(3, new TransientError('429', { retryAfterMs: 60_000 }), { baseMs: 1000, maxMs: 300_000 }); // 60000
 */
export function retryDelay(attemptsMade: number, error: unknown, options: RetryDelayOptions): number {
  const exponential = exponentialDelay(attemptsMade, options);
  const asked = isTransient(error) ? (error.retryAfterMs ?? 0) : 0;
  return Math.max(exponential, asked);
}
