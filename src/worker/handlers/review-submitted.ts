import type { ChatopsRuntime } from '../../chatops/index.js';
import type { PromotionForChatops } from '../../promotion/index.js';
import type { EventHandler } from '../../queue/index.js';

/** `ReviewSubmitted`: an approving review counts like `/approve`, under the same authorization and PR lock. */
export function reviewSubmitted(
  promotion: PromotionForChatops,
  chatops: ChatopsRuntime,
): EventHandler<'ReviewSubmitted'> {
  return async (event, context) => {
    await promotion.botLogin(event.scm);
    await chatops.onReview(event, context.logger);
  };
}
