/**
 * The one backoff formula: `baseMs` before the first retry (`attempt` 1), doubled for each later one, capped at
 * `maxMs`. Callers add what their case needs on top: a `Retry-After` (queue `retryDelay`), jitter (`backoffDelay`
 * of the deploy repo writers), a deadline.
 *
 * @example
 * exponentialDelay(3, { baseMs: 1000, maxMs: 300_000 }); // 4000
 */
export function exponentialDelay(attempt: number, options: { baseMs: number; maxMs?: number }): number {
  return Math.min(options.maxMs ?? Infinity, options.baseMs * 2 ** Math.max(0, attempt - 1));
}
