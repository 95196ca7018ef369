import { exponentialDelay } from '../errors/backoff.js';

/**
 * Delay before retry number `attempt` (1-based): exponential from `baseMs`, capped at `maxMs`, with full jitter
 * so writers that lost the same race do not collide again in lockstep. `random` is injectable for tests.
 */
export function backoffDelay(
  attempt: number,
  options: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = exponentialDelay(attempt, options);
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
