import type { Redis } from 'ioredis';
import { redisKeys } from '../redis/index.js';

// Newest push wins: an older event never replaces a newer one (KEYS[1] hash; ARGV: at, tag, digest).
const RECORD_PUSH = `
local at = tonumber(redis.call('hget', KEYS[1], 'at') or '-1')
if tonumber(ARGV[1]) <= at then return 0 end
redis.call('hset', KEYS[1], 'at', ARGV[1], 'tag', ARGV[2], 'digest', ARGV[3])
return 1`;

export interface Push {
  /** When the image was pushed, epoch ms. */
  at: number;
  tag: string;
  digest?: string | undefined;
}

/** The newest image push of each app, in a Redis hash per policy and app (the board reads the same hash). */
export interface PushRecord {
  /** Records a push (newest push wins: an older one never replaces a newer one). */
  record(policy: string, app: string, push: Push): Promise<void>;
  /** The newest push recorded; null when none. */
  latest(policy: string, app: string): Promise<{ tag: string; digest?: string; at: number } | null>;
}

export function createPushRecord(redis: Redis, prefix: string): PushRecord {
  const keys = redisKeys(prefix);
  return {
    async record(policy, app, push) {
      await redis.eval(RECORD_PUSH, 1, keys.pushed(policy, app), push.at, push.tag, push.digest ?? '');
    },
    async latest(policy, app) {
      const pushed = await redis.hgetall(keys.pushed(policy, app));
      return pushed.tag
        ? { tag: pushed.tag, ...(pushed.digest ? { digest: pushed.digest } : {}), at: Number(pushed.at) }
        : null;
    },
  };
}
