import type { Redis } from 'ioredis';
import type { PullRequestKey } from '../../promotion/pull-request-state/index.js';
import { redisKeys } from '../../redis/keys.js';

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

/** What claiming a comment gave: `claimed` fresh, `resumed` from a run of the same job that died, or `taken`. */
export type CommentClaim = 'claimed' | 'resumed' | 'taken';

/** ChatOps' record of which comments it handled: one answer per comment, whatever the host redelivers. */
export interface CommentClaims {
  /**
   * Claims a comment for handling by `holder` (the job id: a job re-run after its worker died holds the same);
   * `taken` when another delivery of it was, or is being, handled.
   */
  claimComment(key: PullRequestKey, commentId: number, holder: string): Promise<CommentClaim>;
  /** The comment was handled: remember it for good. */
  completeComment(key: PullRequestKey, commentId: number): Promise<void>;
  /** Handling failed: free the claim so a retry of the same delivery is not taken for a duplicate. */
  releaseComment(key: PullRequestKey, commentId: number): Promise<void>;
}

/** The comment claims in Redis under `prefix` (the `chatops:…:comment:<id>` keys of `redis/keys.ts`). */
export function createCommentClaims(redis: Redis, prefix: string): CommentClaims {
  const keys = redisKeys(prefix);
  const commentKey = (key: PullRequestKey, commentId: number) =>
    keys.chatopsComment(key.scm, key.repo, commentId);
  return {
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
  };
}
