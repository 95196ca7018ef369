import type { Redis } from 'ioredis';
import type { Logger } from '../logger/index.js';
import type { PromotionMeta } from './promotion-meta.js';
import { redisKeys } from '../redis/keys.js';

/**
 * Who asked (`/promote`, `/rollback`) for an app in an environment, between the comment and the reconcile that
 * writes the PR: a Redis set per policy, app, kind and environment, one member per person (so its size is bounded
 * by the people with write access). A member leaves only after the PR's own state holds it.
 */
export interface PendingRequesters {
  add(policy: string, app: string, kind: PromotionMeta['kind'], env: string, actor: string): Promise<void>;
  list(policy: string, app: string, kind: PromotionMeta['kind'], env: string): Promise<string[]>;
  remove(policy: string, app: string, kind: PromotionMeta['kind'], env: string, actor: string): Promise<void>;
}

/**
 * Moves a requester waiting in the earlier format (KEYS[1]: a hash per policy and app, field = environment, value =
 * the one person who asked for a promotion there) into the set of that environment (KEYS[2]), in one step, so a
 * crash leaves it in one place or the other, never in none. ARGV[1]: the environment.
 */
const MIGRATE = `
if redis.call('type', KEYS[1]).ok ~= 'hash' then return 0 end
local actor = redis.call('hget', KEYS[1], ARGV[1])
if not actor then return 0 end
redis.call('sadd', KEYS[2], actor)
redis.call('hdel', KEYS[1], ARGV[1])
return 1`;

export function createPendingRequesters(redis: Redis, prefix: string): PendingRequesters {
  const key = (policy: string, app: string, kind: string, env: string) =>
    redisKeys(prefix).requested(policy, app, kind, env);
  /** Where versions before the per-environment sets kept the requester of a promotion (only promotions had one). */
  const earlierKey = (policy: string, app: string) => redisKeys(prefix).requestedEarlier(policy, app);
  return {
    async add(policy, app, kind, env, actor) {
      await redis.sadd(key(policy, app, kind, env), actor);
    },
    async list(policy, app, kind, env) {
      // A request made before an upgrade is read once from where it waited then, and waits in the set from now on.
      if (kind === 'promotion')
        await redis.eval(MIGRATE, 2, earlierKey(policy, app), key(policy, app, kind, env), env);
      return (await redis.smembers(key(policy, app, kind, env))).sort();
    },
    async remove(policy, app, kind, env, actor) {
      await redis.srem(key(policy, app, kind, env), actor);
    },
  };
}

/**
 * Moves the waiting requesters of `app` in `env` onto the PR: each is recorded durably first (`record`: the PR's
 * state in Redis and in the status comment), and only then leaves the waiting set. A failure at any step leaves
 * the requester waiting, and the next attempt records it again, which changes nothing the second time.
 */
export async function settleRequesters(input: {
  pending: PendingRequesters;
  policy: string;
  app: string;
  kind: PromotionMeta['kind'];
  env: string;
  record: (actor: string) => Promise<boolean>;
  logger: Logger;
}): Promise<void> {
  const { pending, policy, app, kind, env } = input;
  for (const actor of await pending.list(policy, app, kind, env)) {
    if (!(await input.record(actor))) {
      input.logger.warn({ actor, env, kind }, 'the PR could not take its requester; it stays waiting');
      continue;
    }
    await pending.remove(policy, app, kind, env, actor);
  }
}
