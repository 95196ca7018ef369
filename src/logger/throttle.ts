import type { Logger } from 'pino';

export interface LogThrottle {
  /**
   * Logs `msg` at warn the first time its `key` is seen, then at most once per window with `repeated`: how many
   * times it happened since the last line. The occurrences in between go to debug, so nothing is hidden from a
   * debug log.
   */
  warn(logger: Logger, key: string, fields: Record<string, unknown>, msg: string): void;
}

export interface LogThrottleOptions {
  /** One warn line per key per this many milliseconds; a minute by default. */
  windowMs?: number;
  /** Keys remembered at most; the oldest is forgotten first. */
  maxKeys?: number;
  now?: () => number;
}

/**
 * Made per component: retries of a failure that will not heal by itself (a host down, a placeholder token) keep
 * their backoff, but their warning comes once a minute, not once a second.
 *
 * @example
 * const throttle = createLogThrottle();
 * throttle.warn(logger, `retry:${error.message}`, { err: error.message }, 'request failed, retrying');
 */
export function createLogThrottle(options: LogThrottleOptions = {}): LogThrottle {
  const windowMs = options.windowMs ?? 60_000;
  const maxKeys = options.maxKeys ?? 1000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, { loggedAt: number; repeated: number }>();
  return {
    warn(logger, key, fields, msg) {
      const at = now();
      const entry = seen.get(key);
      if (entry !== undefined && at - entry.loggedAt < windowMs) {
        entry.repeated += 1;
        logger.debug(fields, msg);
        return;
      }
      const repeated = entry?.repeated ?? 0;
      seen.delete(key);
      seen.set(key, { loggedAt: at, repeated: 0 });
      if (seen.size > maxKeys) seen.delete(seen.keys().next().value as string);
      logger.warn(repeated > 0 ? { ...fields, repeated } : fields, msg);
    },
  };
}
