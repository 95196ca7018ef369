export { HookHost, type ExistingHook, type HookClient, type WantedHook } from './hook-model.js';
export { decideHookChange, hookDifferences, type HookDecision } from './decide-hook-change.js';
export {
  wantedWebhooks,
  harborProject,
  SCM_HOOK_EVENTS,
  HARBOR_HOOK_EVENTS,
  type SetupProblem,
  type WantedWebhooks,
} from './wanted-webhooks.js';
export { adviseHookFailure } from './advise.js';
export {
  syncWebhooks,
  hookClientsFor,
  renderSyncOutcomes,
  type SyncAction,
  type SyncOutcome,
  type SyncWebhooksInput,
} from './sync-webhooks.js';
export { CheckStatus, doctorPassed, renderChecklist, type DoctorCheck } from './doctor-check.js';
export { checkRedis } from './check-redis.js';
export { checkGitRead, adviseGitRead, type GitReadInput } from './check-git-read.js';
export { gateQueries, checkGateQueries, type GateQuery } from './check-gate-queries.js';
export { judgeScmAccess, type ScmAccess } from './scm-access.js';
export { runDoctor, type DoctorInput } from './run-doctor.js';
export {
  syncProtection,
  renderProtectionOutcomes,
  protectionClientsFor,
  checkBranchProtection,
  type ProtectionOutcome,
  type SyncProtectionInput,
} from './sync-protection.js';
export type { ProtectionPlan, ProtectionClient } from './protection-model.js';
export {
  decideProtectionChange,
  ruleOf,
  GiteaProtectionRule,
  type GiteaProtectionFields,
  type ProtectionDecision,
} from './decide-protection-change.js';
export {
  requiredStatusContexts,
  wantedProtections,
  STATUS_CONTEXTS,
  type WantedProtection,
} from './wanted-protection.js';
