import type { ReviewSubmitted } from '../events/index.js';
import { authorize, isBotActor, type PermissionLookup } from './authorize.js';
import type { ChatopsContext } from './handle-comment.js';
import { applyReview, type PromotionState } from '../promotion/pull-request-state/promotion-state.js';

export type ReviewHandling =
  | { acted: false; reason: string }
  | { acted: true; state: PromotionState; outcome: 'accepted' | 'refused' | 'unchanged'; message: string };

/**
 * Handles a native review on a promotion PR: an approval counts like `/approve` from the reviewer, under the same
 * authorization, and only for the head it reviewed.
 */
export async function handleReview(
  event: ReviewSubmitted,
  state: PromotionState,
  context: ChatopsContext,
  lookup: PermissionLookup,
  at: string,
): Promise<ReviewHandling> {
  if (isBotActor({ login: event.reviewer, isBot: false }, context.botLogin)) {
    return { acted: false, reason: `the review is by a bot (@${event.reviewer})` };
  }
  if (!context.isPromotionPr)
    return { acted: false, reason: `#${event.number} is not a promotion PR promobot opened` };
  const authorization =
    event.state === 'approved'
      ? await authorize(
          { name: 'approve', cancel: false },
          { login: event.reviewer, isBot: false },
          context,
          lookup,
        )
      : ({ allowed: true } as const);
  const outcome = applyReview(state, {
    reviewer: event.reviewer,
    state: event.state,
    commitId: event.commitId,
    at,
    authorization,
  });
  return { acted: true, state: outcome.state, outcome: outcome.outcome, message: outcome.message };
}
