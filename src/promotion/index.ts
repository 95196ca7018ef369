/**
 * Where a promotion is decided (`decide-promotions.ts`, pure) and carried out: an image push lands in the entry
 * environments (`handle-image-pushed.ts`), each app is reconciled into its promotion PRs (`reconcile-app.ts`).
 */
export {
  decidePromotions,
  type AppSnapshot,
  type OpenPromotion,
  type PromotionAction,
  type Running,
} from './decide-promotions.js';
export { handleImagePushed, type ImagePushedDeps, type ImagePushedOutcome } from './handle-image-pushed.js';
export { reconcileApp, PROMOTION_STATUS, type DeployRepoPort, type ReconcileDeps } from './reconcile-app.js';
export { createDeployRepoPort } from './deploy-repo-port.js';
export { applyImageChanges } from './apply-image-changes.js';
export {
  EnvironmentChange,
  commitForChanges,
  environmentChange,
  promotionCandidate,
  refusePush,
  rollbackCandidate,
  type CandidateCommit,
} from './candidate-commit.js';
export {
  PromotionMeta,
  parsePromotionMeta,
  renderPromotionMeta,
  promotionBranch,
  parsePromotionBranch,
} from './promotion-meta.js';
export {
  renderPullRequestBody,
  renderPullRequestTitle,
  renderCommitSubject,
  shortTag,
} from './render-pull-request.js';
export {
  createReconcileQueue,
  createReconcileWorker,
  RECONCILE_QUEUE,
  ReconcileJob,
} from '../queue/reconcile-queue.js';
