import type { ChatopsRuntime } from '../../chatops/index.js';
import type { WorkerParts } from '../parts.js';
import type { EventHandler } from '../../queue/index.js';

/**
 * `CommentCreated`: ChatOps claims the comment, screens, parses and authorizes it, and hands what was authorized
 * to promotion's PR state under the PR's lock (`chatops/runtime`). The bot's login is learnt first: ChatOps
 * recognises its own comments by it.
 */
export function commentCreated(
  parts: Pick<WorkerParts, 'botLogin'>,
  chatops: ChatopsRuntime,
): EventHandler<'CommentCreated'> {
  return async (event, context) => {
    await parts.botLogin(event.scm);
    await chatops.onComment(event, context.logger, context.job.id);
  };
}
