import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { PermanentError } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { redisKeys } from '../redis/keys.js';

/** One change waiting to be committed: the newest `value` for `key` (e.g. `chat-ui/dev`) by `order`. */
export interface PendingEntry<T> {
  key: string;
  value: T;
  /** Larger is newer, e.g. the push time in epoch milliseconds. */
  order: number;
  /** The stored form, compared on `ack` so a newer value that arrived meanwhile is kept. */
  readonly stamp: string;
}

/**
 * - `stored`: it is now the pending value for its key.
 * - `duplicate`: exactly this value and order is already pending.
 * - `superseded`: a value with a newer order is pending; this one is dropped.
 * - `stale`: a value with a newer order already landed; this one must never overwrite it.
 *
 * Equal orders are not ordered at all (Harbor stamps pushes to the second), so the later arrival wins.
 */
export type PutOutcome = 'stored' | 'duplicate' | 'superseded' | 'stale';

// KEYS: pending hash, landed hash. ARGV: field, order, stamp. The stamp is "<order>:<json>", so the order of
// what is pending is read without decoding the value.
const PUT = `
local landed = redis.call('hget', KEYS[2], ARGV[1])
if landed and tonumber(landed) > tonumber(ARGV[2]) then return 'stale' end
local current = redis.call('hget', KEYS[1], ARGV[1])
if current then
  if current == ARGV[3] then return 'duplicate' end
  local order = tonumber(string.match(current, '^([^:]+):'))
  if order and order > tonumber(ARGV[2]) then return 'superseded' end
end
redis.call('hset', KEYS[1], ARGV[1], ARGV[3])
return 'stored'`;

// KEYS: pending hash, landed hash. ARGV: (field, stamp, order)*. Removes each entry only if it is unchanged and
// records its order as landed (never lowering it).
const ACK = `
local removed = 0
for i = 1, #ARGV, 3 do
  local field, stamp, order = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('hget', KEYS[1], field) == stamp then
    redis.call('hdel', KEYS[1], field)
    removed = removed + 1
  end
  local landed = redis.call('hget', KEYS[2], field)
  if not landed or tonumber(landed) < tonumber(order) then redis.call('hset', KEYS[2], field, order) end
end
return removed`;

export interface PendingChanges<T> {
  /** Offers a change; an older one never replaces a newer one, pending or landed. */
  put(key: string, value: T, order: number): Promise<PutOutcome>;
  /** Everything pending now, sorted by key. */
  snapshot(): Promise<PendingEntry<T>[]>;
  /** Marks entries as landed and removes those still unchanged; returns how many were removed. */
  ack(entries: readonly PendingEntry<T>[]): Promise<number>;
  /** The order of the newest change that landed for `key`, or null. */
  landedOrder(key: string): Promise<number | null>;
  /** How many keys have a change pending. */
  size(): Promise<number>;
}

export interface PendingChangesOptions<T> {
  redis: Redis;
  /** The deploy repo these changes go to (`DeployRepo.key`). */
  repo: string;
  /** Validates values read back from Redis. */
  schema: z.ZodType<T>;
  logger: Logger;
  prefix?: string;
}

/**
 * Coalescing of changes to one deploy repo in Redis. The pattern: each job `put`s its change, then takes the repo
 * lock; the holder commits the whole `snapshot()` at once and `ack`s it, so a burst lands in few commits, and a
 * job whose entry was already landed by another finds nothing left to do. See `landPending`.
 */
export function createPendingChanges<T>(options: PendingChangesOptions<T>): PendingChanges<T> {
  const prefix = options.prefix ?? 'promobot';
  const pendingKey = redisKeys(prefix).pending(options.repo);
  const landedKey = redisKeys(prefix).landed(options.repo);
  const { redis, schema, logger } = options;

  return {
    async put(key, value, order) {
      if (!Number.isSafeInteger(order) || order < 0) {
        throw new PermanentError(`pending change order must be a non-negative integer, got ${order}`);
      }
      const json = JSON.stringify(schema.parse(value));
      const outcome = await redis.eval(PUT, 2, pendingKey, landedKey, key, order, `${order}:${json}`);
      return outcome as PutOutcome;
    },
    async snapshot() {
      const all = await redis.hgetall(pendingKey);
      const entries: PendingEntry<T>[] = [];
      for (const [key, stamp] of Object.entries(all)) {
        const colon = stamp.indexOf(':');
        const order = Number(stamp.slice(0, colon));
        let parsed: z.ZodSafeParseResult<T> | undefined;
        try {
          parsed = schema.safeParse(JSON.parse(stamp.slice(colon + 1)));
        } catch {
          parsed = undefined;
        }
        if (colon < 0 || !Number.isFinite(order) || !parsed?.success) {
          // Left in place for a human to look at; a bad entry must not block the good ones.
          logger.warn({ pendingKey, key }, 'unreadable pending change skipped');
          continue;
        }
        entries.push({ key, value: parsed.data, order, stamp });
      }
      return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async ack(entries) {
      if (entries.length === 0) return 0;
      const args = entries.flatMap((entry) => [entry.key, entry.stamp, String(entry.order)]);
      return (await redis.eval(ACK, 2, pendingKey, landedKey, ...args)) as number;
    },
    size() {
      return redis.hlen(pendingKey);
    },
    async landedOrder(key) {
      const value = await redis.hget(landedKey, key);
      return value === null ? null : Number(value);
    },
  };
}
