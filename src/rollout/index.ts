export {
  decideRollout,
  revisionsToCheck,
  runsImage,
  type RolloutDecision,
  type RolloutEvidence,
  type RolloutInput,
} from './decide-rollout.js';
export {
  judgeVerification,
  type ApplicationAnswer,
  type Verification,
  type VerificationRound,
} from './judge-verification.js';
