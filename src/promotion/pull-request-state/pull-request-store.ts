import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ScmKind } from '../../events/index.js';
import { PromotionState } from './promotion-state.js';
import { redisKeys } from '../../redis/keys.js';

/** One PR (or issue) of a deploy repo on a code host. */
export interface PullRequestKey {
  scm: ScmKind;
  /** `owner/name`. */
  repo: string;
  number: number;
}

/** What promotion keeps per PR in Redis: the state, and which comment is the bot's status comment. */
export const StoredPromotion = z.object({
  state: PromotionState,
  statusCommentId: z.number().int().positive().nullable(),
});
export type StoredPromotion = z.infer<typeof StoredPromotion>;

/** Sets KEYS[1] to ARGV[1] unless it holds a higher number already. */
const RAISE = `
local v = tonumber(redis.call('get', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) > v then redis.call('set', KEYS[1], ARGV[1]) end
return 1`;

export interface PullRequestStore {
  /** The stored state, or null when Redis has none (new PR, or Redis lost it: rebuild from the status comment). */
  load(key: PullRequestKey): Promise<StoredPromotion | null>;
  save(key: PullRequestKey, stored: StoredPromotion): Promise<void>;
  /** The next sequence number of a write of the PR's status comment (1, 2, ...; kept without expiry). */
  nextSeq(key: PullRequestKey): Promise<number>;
  /** The highest sequence number written for the PR, 0 when Redis has none. */
  knownSeq(key: PullRequestKey): Promise<number>;
  /** After a rebuild from the block numbered `seq`: the next write is numbered after it. */
  raiseSeq(key: PullRequestKey, seq: number): Promise<void>;
  /** The Redis key of the per-PR lock. */
  lockKey(key: PullRequestKey): string;
}

/**
 * The Redis side of a promotion PR's state, under `prefix`. States
 * are kept without expiry: a PR may wait for weeks.
 */
export function createPullRequestStore(redis: Redis, prefix: string): PullRequestStore {
  const keys = redisKeys(prefix);
  const stateKey = (key: PullRequestKey) => keys.chatopsState(key.scm, key.repo, key.number);
  const seqKey = (key: PullRequestKey) => keys.chatopsSeq(key.scm, key.repo, key.number);
  return {
    async load(key) {
      const raw = await redis.get(stateKey(key));
      if (raw === null) return null;
      const parsed = StoredPromotion.safeParse(JSON.parse(raw));
      // A record from another version is as good as none: the status comment still has the state.
      return parsed.success ? parsed.data : null;
    },
    async save(key, stored) {
      await redis.set(stateKey(key), JSON.stringify(StoredPromotion.parse(stored)));
    },
    nextSeq: (key) => redis.incr(seqKey(key)),
    async knownSeq(key) {
      const raw = await redis.get(seqKey(key));
      const seq = raw === null ? 0 : Number(raw);
      return Number.isSafeInteger(seq) && seq > 0 ? seq : 0;
    },
    async raiseSeq(key, seq) {
      await redis.eval(RAISE, 1, seqKey(key), seq);
    },
    lockKey: (key) => keys.chatopsLock(key.scm, key.repo, key.number),
  };
}
