export {
  createRolloutVerifier,
  ROLLOUT_STATUS,
  verifies,
  type RolloutVerifier,
  type RolloutVerifierOptions,
} from './create-rollout-verifier.js';
export {
  describeRollout,
  ROLLOUT_COMMENT_MARKER,
  renderRolloutComment,
  rolloutStatus,
} from './render-rollout.js';
export { KUBE_STATE_METRICS_ROLLOUT, verifyWithPrometheus } from './verify-with-prometheus.js';
export { applicationsOf } from './applications-of.js';
