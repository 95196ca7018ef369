export { HookHost, type ExistingHook, type HookClient, type WantedHook } from '../hosts/ports/hook-model.js';
export { decideHookChange, hookDifferences, type HookDecision } from './decide-hook-change.js';
export {
  wantedWebhooks,
  harborProject,
  SCM_HOOK_EVENTS,
  HARBOR_HOOK_EVENTS,
  type SetupProblem,
  type WantedWebhooks,
} from './wanted-webhooks.js';
export { adviseHookFailure } from '../hosts/ports/advise.js';
export {
  syncWebhooks,
  hookClientsFor,
  renderSyncOutcomes,
  type SyncAction,
  type SyncOutcome,
  type SyncWebhooksInput,
} from './sync-webhooks.js';
export { CheckStatus, doctorPassed, renderChecklist, type DoctorCheck } from '../hosts/ports/doctor-check.js';
export { checkRedis } from './check-redis.js';
export { checkGitRead, adviseGitRead, type GitReadInput } from './check-git-read.js';
export { gateQueries, checkGateQueries, type GateQuery } from './check-gate-queries.js';
export { judgeScmAccess, type ScmAccess } from '../hosts/ports/scm-access.js';
export { runDoctor, type DoctorInput } from './run-doctor.js';
export {
  syncProtection,
  renderProtectionOutcomes,
  protectionClientsFor,
  checkBranchProtection,
  type ProtectionOutcome,
  type SyncProtectionInput,
} from './sync-protection.js';
export type { ProtectionPlan, ProtectionClient } from '../hosts/ports/protection-model.js';
export {
  decideProtectionChange,
  ruleOf,
  GiteaProtectionRule,
  type GiteaProtectionFields,
  type ProtectionDecision,
} from '../hosts/gitea/decide-protection-change.js';
export {
  requiredStatusContexts,
  wantedProtections,
  STATUS_CONTEXTS,
  type WantedProtection,
} from './wanted-protection.js';
