import type { ChatopsRuntime } from '../../chatops/index.js';
import type { WorkerParts } from '../parts.js';
import type { EventHandler } from '../../queue/index.js';

/** `ReviewSubmitted`: an approving review counts like `/approve`, under the same authorization and PR lock. */
export function reviewSubmitted(
  parts: Pick<WorkerParts, 'botLogin'>,
  chatops: ChatopsRuntime,
): EventHandler<'ReviewSubmitted'> {
  return async (event, context) => {
    await parts.botLogin(event.scm);
    await chatops.onReview(event, context.logger);
  };
}
