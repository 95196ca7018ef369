import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';
import { traceFields } from './trace.js';

export type { Logger } from 'pino';

/** Paths pino blanks in every log line; secrets must never reach a log. */
export const REDACT_PATHS = [
  'token',
  'password',
  'secret',
  'authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.secrets',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers["x-gitea-signature"]',
  'headers["x-hub-signature-256"]',
  'req.headers.authorization',
  'config.*.token',
  'config.webhooks',
  'privateKey',
  '*.privateKey',
  '*.*.privateKey',
  'config.github.app',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where lines go; stdout when absent. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Extra fixed fields, e.g. `{ role: 'worker' }`. */
  base?: Record<string, unknown>;
}

/**
 * The one pino factory: JSON lines, ISO time, secrets redacted, and inside a job the delivery and correlation ids
 * of what caused it on every line (`runWithTrace`).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { name: 'promobot', ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin: (_object, _level, logger) => traceFields(() => logger.bindings()),
    },
    options.destination,
  );
}

/**
 * Removes credentials from text that may embed them: `https://user:token@host` URLs, `Authorization` values and
 * any of the given secret strings. For error messages from git and HTTP clients before they are logged or shown.
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi, '$1[redacted]@');
  out = out.replace(
    /\b(authorization:\s*)(?:(bearer|token|basic)\s+)?\S+/gi,
    (_m, head: string, scheme?: string) => (scheme ? `${head}${scheme} [redacted]` : `${head}[redacted]`),
  );
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

export { Trace, currentTrace, runWithTrace } from './trace.js';
export { createLogThrottle, type LogThrottle, type LogThrottleOptions } from './throttle.js';
