import { createPendingChanges } from '../../git/index.js';
import { EnvironmentChange } from '../../promotion/apply-image-changes.js';
import { handleImagePushed } from '../../promotion/index.js';
import type { EventHandler } from '../../queue/index.js';
import type { WorkerParts } from '../parts.js';

/**
 * `ImagePushed` (Harbor, a registry): policy by image → newest push and pending change (Redis) → commit to the
 * entry environments (`git/land-pending`) → reconcile job (`promotion/handle-image-pushed.ts`).
 */
export function imagePushed(parts: WorkerParts): EventHandler<'ImagePushed'> {
  return async (event, context) => {
    await handleImagePushed(event, context.deliveryId, context.logger, {
      policies: () => parts.policies.current(),
      deployRepoFor: parts.deployRepoFor,
      pendingFor: (repo) =>
        createPendingChanges({
          redis: parts.redis,
          repo: repo.key,
          schema: EnvironmentChange,
          logger: context.logger,
          prefix: parts.prefix,
        }),
      recordPush: (policy, app, push) => parts.pushes.record(policy.metadata.name, app, push),
      requestReconcile: parts.requestReconcile,
    });
  };
}
