import { createChatopsRuntime } from '../chatops/index.js';
import {
  createPromotionRuntime,
  type PromotionRuntime,
  type PromotionRuntimeOptions,
} from '../promotion/index.js';
import { approverCheck, commandsIn, stopCommandsIn } from './chatops-for-promotion.js';
import type { HandlerRegistry } from '../queue/index.js';
import { commentCreated } from './handlers/comment-created.js';
import { imagePushed } from './handlers/image-pushed.js';
import { pullRequestChanged } from './handlers/pull-request-changed.js';
import { pushReceived } from './handlers/push-received.js';
import { reviewSubmitted } from './handlers/review-submitted.js';
import { rolloutObserved } from './handlers/rollout-observed.js';

export type WorkerRuntimeOptions = Omit<
  PromotionRuntimeOptions,
  'approverCheck' | 'commandsIn' | 'stopCommandsIn'
>;

export interface WorkerRuntime extends PromotionRuntime {
  /** Handlers for the events queue: one per event kind, each in `worker/handlers/`. */
  readonly handlers: HandlerRegistry;
}

/**
 * The worker's composition root: wiring only. Promotion (policies, hosts, deploy repos, queues, gates, rollout,
 * notifier, board, and the promotion PRs' state) is built first; ChatOps is handed promotion's side of it, and
 * promotion is handed the ChatOps rules its state needs (and the global stop's grammar, for the stops' rebuild). Imports go one way: worker → chatops → promotion.
 */
export async function createWorkerRuntime(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const { config } = options;
  const promotion = await createPromotionRuntime({
    ...options,
    approverCheck,
    commandsIn,
    stopCommandsIn,
  });
  const chatops = createChatopsRuntime({
    ...promotion.forChatops,
    logger: options.logger.child({ component: 'promotion' }),
    onCommandError: (reason) => options.metrics?.commandError(reason),
    approveAfterHeadMarginMs: config.approveAfterHeadMarginMs,
  });
  const handlers: HandlerRegistry = {
    ImagePushed: imagePushed(promotion.parts),
    PullRequestChanged: pullRequestChanged(promotion.parts),
    CommentCreated: commentCreated(promotion.forChatops, chatops),
    ReviewSubmitted: reviewSubmitted(promotion.forChatops, chatops),
    RolloutObserved: rolloutObserved(promotion.parts),
    PushReceived: pushReceived(promotion.parts),
  };
  return { ...promotion, handlers };
}
