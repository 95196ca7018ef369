import type { EventHandler } from '../../queue/index.js';
import type { WorkerParts } from '../parts.js';
import { applicationsOf } from '../../rollout/runtime/index.js';

/** `RolloutObserved` (Argo CD notifications): verification asked again for each environment, and a reconcile. */
export function rolloutObserved(parts: WorkerParts): EventHandler<'RolloutObserved'> {
  return async (event, context) => {
    // A hint only: what Argo CD says is asked again through its API, never taken from the notification.
    const targets = applicationsOf(parts.policies.current(), event.application, event.appNamespace);
    for (const target of targets) {
      await parts.rolloutVerifier.poke(target.policy, target.app, target.env);
      await parts.requestReconcile(
        target.policy,
        target.app,
        `Argo CD notification about ${event.application}`,
      );
    }
    context.logger.info(
      { application: event.application, revision: event.revision, targets: targets.length },
      'Argo CD notification: verification asked again',
    );
  };
}
