import type { ChatopsRuntime } from '../../chatops/index.js';
import type { PromotionForChatops } from '../../promotion/index.js';
import type { EventHandler } from '../../queue/index.js';

/**
 * `CommentCreated`: ChatOps claims the comment, screens, parses and authorizes it, and hands what was authorized
 * to promotion's PR state under the PR's lock (`chatops/runtime`). The bot's login is learnt first: ChatOps
 * recognises its own comments by it.
 */
export function commentCreated(
  promotion: PromotionForChatops,
  chatops: ChatopsRuntime,
): EventHandler<'CommentCreated'> {
  return async (event, context) => {
    await promotion.botLogin(event.scm);
    await chatops.onComment(event, context.logger, context.job.id);
  };
}
