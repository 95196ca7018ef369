export * from './argocd/index.js';
export {
  decideRollout,
  revisionsToCheck,
  runsImage,
  type RolloutDecision,
  type RolloutEvidence,
  type RolloutInput,
} from './decide-rollout.js';
