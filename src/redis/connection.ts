import { Redis } from 'ioredis';

/**
 * What a connection is for; each kind has the one set of options it needs.
 *
 * - `blocking`: bullmq queues and workers, and the stores beside them. Commands wait for Redis rather than fail
 *   (bullmq requires `maxRetriesPerRequest: null` for workers).
 * - `intake`: the webhook producer. A webhook answer must come in milliseconds: commands fail at once while Redis
 *   is away (no offline queue) or slow (`commandTimeoutMs`), so a delivery gets a fast 503 and its sender retries,
 *   and the connection keeps reconnecting in the background.
 * - `reader`: reads that answer a person (the board's API): a command is retried twice while Redis reconnects,
 *   then fails, so a request gets an error answer instead of hanging.
 * - `probe`: one look (doctor, `status`): connects only when asked, one attempt, no retries.
 */
export type RedisConnectionKind =
  | { readonly kind: 'blocking' }
  | { readonly kind: 'intake'; readonly commandTimeoutMs: number }
  | { readonly kind: 'reader' }
  | { readonly kind: 'probe'; readonly connectTimeoutMs: number };

/**
 * The one place promobot opens a Redis connection. Connection errors are left to the owner to log (each owner
 * knows whether a lost connection matters); without a listener ioredis would print them, so one is always set.
 */
export function connectRedis(url: string, purpose: RedisConnectionKind): Redis {
  const redis =
    purpose.kind === 'blocking'
      ? new Redis(url, { maxRetriesPerRequest: null })
      : purpose.kind === 'intake'
        ? new Redis(url, {
            enableOfflineQueue: false,
            commandTimeout: purpose.commandTimeoutMs,
            maxRetriesPerRequest: 0,
            connectTimeout: 2000,
            // Keep trying in the background; each request meanwhile fails fast.
            retryStrategy: (times) => Math.min(times * 100, 1000),
          })
        : purpose.kind === 'reader'
          ? new Redis(url, { maxRetriesPerRequest: 2 })
          : new Redis(url, {
              lazyConnect: true,
              connectTimeout: purpose.connectTimeoutMs,
              maxRetriesPerRequest: 0,
              enableOfflineQueue: false,
              retryStrategy: () => null,
            });
  redis.on('error', () => undefined);
  return redis;
}

export type { Redis } from 'ioredis';
