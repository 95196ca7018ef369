import { parsePromotionBranch, parsePromotionMeta, type PromotionMeta } from '../promotion-meta.js';
import type { PullRequest } from '../../scm/types.js';
import { sameLogin } from '../../scm/same-login.js';

/**
 * A PR promobot opened, with what its hidden block says it is about. Who asked for it is not here: anyone who can
 * edit the PR can edit its body, so requesters live in the ChatOps state, which only promobot writes.
 */
export interface PromotionPullRequest {
  pr: PullRequest;
  meta: PromotionMeta;
}

/**
 * The PR as a promotion PR, or null when promobot did not open it: all of the promotion branch
 * (`promobot/<env>/<app>` or its rollback form), a valid metadata block naming the same app and environment, and
 * the bot as the PR's author must hold, since anyone with write access could push such a branch or copy the block.
 */
export function readPromotionPullRequest(pr: PullRequest, botLogin: string): PromotionPullRequest | null {
  if (!sameLogin(pr.author, botLogin)) return null;
  const branch = parsePromotionBranch(pr.headRef);
  const meta = parsePromotionMeta(pr.body);
  if (branch === null || meta === null) return null;
  if (branch.app !== meta.app || branch.env !== meta.env || branch.kind !== meta.kind) return null;
  return { pr, meta };
}
