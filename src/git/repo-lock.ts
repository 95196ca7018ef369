import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TransientError } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { backoffDelay, sleep } from './backoff.js';

// Compare-and-delete / compare-and-extend: only the holder's token may release or renew, so a holder whose
// lease already expired can never free or extend the lease of the next holder.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface RepoLockOptions {
  redis: Redis;
  key: string;
  /** Lease length; renewed every third of it while held, and it frees the lock when a holder dies. */
  ttlMs: number;
  /** Longest wait for the lock before a `TransientError`. */
  waitMs: number;
  logger: Logger;
  /**
   * Asked between tries while waiting: when it answers true (the work was done by the holder meanwhile), waiting
   * stops and the result is null instead of a lease.
   */
  giveUpIf?: () => Promise<boolean>;
}

export interface LockLease {
  /** True once a renewal found the lease gone: the holder must stop before it writes anything shared. */
  readonly lost: boolean;
  release(): Promise<void>;
}

/**
 * Takes a Redis lock (`SET key token NX PX ttl`), waiting with jittered backoff up to `waitMs`. The lease renews
 * itself until released; if Redis loses it meanwhile, `lost` turns true. With `giveUpIf`, null when it said so.
 */
export function acquireRepoLock(options: RepoLockOptions & { giveUpIf?: undefined }): Promise<LockLease>;
export function acquireRepoLock(options: RepoLockOptions): Promise<LockLease | null>;
export async function acquireRepoLock(options: RepoLockOptions): Promise<LockLease | null> {
  const token = randomBytes(16).toString('hex');
  const deadline = Date.now() + options.waitMs;
  for (let attempt = 1; ; attempt += 1) {
    const ok = await options.redis.set(options.key, token, 'PX', options.ttlMs, 'NX');
    if (ok === 'OK') break;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new TransientError(`timed out after ${options.waitMs} ms waiting for the deploy repo lock`, {
        advice: 'Another worker holds the deploy repo for long; the job is retried.',
      });
    }
    if (options.giveUpIf && (await options.giveUpIf())) return null;
    await sleep(Math.min(remaining, 5 + backoffDelay(attempt, { baseMs: 10, maxMs: 100 })));
  }

  let lost = false;
  let released = false;
  const renew = async () => {
    try {
      const renewed = await options.redis.eval(RENEW, 1, options.key, token, options.ttlMs);
      if (renewed !== 1 && !released) {
        lost = true;
        options.logger.warn({ lock: options.key }, 'deploy repo lock lost before release');
      }
    } catch (error) {
      // One failed renewal is not a lost lease yet: the lease still has two thirds of its ttl to run.
      options.logger.warn({ lock: options.key, err: error }, 'deploy repo lock renewal failed');
    }
  };
  const timer = setInterval(() => void renew(), Math.max(10, Math.floor(options.ttlMs / 3)));
  timer.unref();

  return {
    get lost() {
      return lost;
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await options.redis.eval(RELEASE, 1, options.key, token);
    },
  };
}
