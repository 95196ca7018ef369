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

/** How long a claimed comment id is remembered: far longer than any webhook redelivery. */
const DONE_TTL_SECONDS = 7 * 24 * 3600;
/**
 * A claim whose holder died frees itself after this, so another delivery of the comment can handle it; the same job
 * run again (bullmq re-runs a stalled job, with its id, about 30 s after its worker died) takes it over at once.
 */
const CLAIM_TTL_SECONDS = 300;

/**
 * Claims a comment for `holder` (KEYS[1]; ARGV: holder, ttl): 1 claimed now, 2 already held by the same holder (a
 * re-run after a crash: the claim is renewed and handed back), 0 held by another or done.
 */
const CLAIM = `
local v = redis.call('get', KEYS[1])
if not v then
  redis.call('set', KEYS[1], 'claimed:' .. ARGV[1], 'EX', tonumber(ARGV[2]))
  return 1
end
if v == 'claimed:' .. ARGV[1] then
  redis.call('expire', KEYS[1], tonumber(ARGV[2]))
  return 2
end
return 0`;

/** Sets KEYS[1] to ARGV[1] unless it holds a higher number already. */
const RAISE = `
local v = tonumber(redis.call('get', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) > v then redis.call('set', KEYS[1], ARGV[1]) end
return 1`;

/** What claiming a comment gave: `claimed` fresh, `resumed` from a run of the same job that died, or `taken`. */
export type CommentClaim = 'claimed' | 'resumed' | 'taken';

export interface PullRequestStore {
  /** The stored state, or null when Redis has none (new PR, or Redis lost it: rebuild from the status comment). */
  load(key: PullRequestKey): Promise<StoredPromotion | null>;
  save(key: PullRequestKey, stored: StoredPromotion): Promise<void>;
  /**
   * Claims a comment for handling by `holder` (the job id: a job re-run after its worker died holds the same);
   * `taken` when another delivery of it was, or is being, handled.
   */
  claimComment(key: PullRequestKey, commentId: number, holder: string): Promise<CommentClaim>;
  /** The comment was handled: remember it for good. */
  completeComment(key: PullRequestKey, commentId: number): Promise<void>;
  /** Handling failed: free the claim so a retry of the same delivery is not taken for a duplicate. */
  releaseComment(key: PullRequestKey, commentId: number): Promise<void>;
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
 * The Redis side of a promotion PR's state, under `prefix` (and of ChatOps' comment claims, kept beside it). States
 * are kept without expiry: a PR may wait for weeks.
 */
export function createPullRequestStore(redis: Redis, prefix: string): PullRequestStore {
  const keys = redisKeys(prefix);
  const stateKey = (key: PullRequestKey) => keys.chatopsState(key.scm, key.repo, key.number);
  const seqKey = (key: PullRequestKey) => keys.chatopsSeq(key.scm, key.repo, key.number);
  const commentKey = (key: PullRequestKey, commentId: number) =>
    keys.chatopsComment(key.scm, key.repo, commentId);
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
    async claimComment(key, commentId, holder) {
      const result = await redis.eval(CLAIM, 1, commentKey(key, commentId), holder, CLAIM_TTL_SECONDS);
      return result === 1 ? 'claimed' : result === 2 ? 'resumed' : 'taken';
    },
    async completeComment(key, commentId) {
      await redis.set(commentKey(key, commentId), 'done', 'EX', DONE_TTL_SECONDS);
    },
    async releaseComment(key, commentId) {
      await redis.del(commentKey(key, commentId));
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
