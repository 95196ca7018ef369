import { findByDeployRepo } from '../../policy/index.js';
import type { EventHandler } from '../../queue/index.js';
import type { WorkerParts } from '../parts.js';

/** `PushReceived` (Gitea, GitHub): a reconcile per app at the next whole second, for a push to the deploy branch. */
export function pushReceived(parts: WorkerParts): EventHandler<'PushReceived'> {
  return async (event) => {
    // Pushes by people can come many a second; every one asks for the same thing, so they collapse into one
    // reconcile per app at the next whole second (a timer's job id is per app and instant).
    const at = Math.ceil((Date.now() + 1) / 1000) * 1000;
    for (const policy of findByDeployRepo(parts.policies.current(), event.scm, event.repo.fullName)) {
      if (event.ref !== `refs/heads/${policy.spec.deployRepo.branch}`) continue;
      // Nothing promotes from any environment: there is no PR a push could open, change or close.
      if (!policy.spec.environments.some((env) => env.from !== undefined)) continue;
      for (const app of policy.spec.apps)
        await parts.requestReconcileAt(
          { policy: policy.metadata.name, app: app.name, reason: `push to ${event.ref}` },
          at,
        );
    }
  };
}
