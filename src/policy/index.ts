export {
  App,
  Approvals,
  Approver,
  DeployRepo,
  Duration,
  Environment,
  Gate,
  Gating,
  PolicySpec,
  PromotionPolicy,
  TagRules,
  Threshold,
  Traffic,
  Verify,
  parseDuration,
} from './schema.js';
export { GATE_PRESETS, isGatePreset, type GatePreset } from './gate-presets.js';
export { checkPolicy } from './check-policy.js';
export {
  checkPolicySet,
  normalizeRepoPath,
  type PolicyEntry,
  type PolicySetIssue,
} from './check-policy-set.js';
export { formatPath, type PolicyIssue } from './policy-issue.js';
export { PolicyLoadError, formatProblem, type PolicyProblem } from './policy-problem.js';
export { validatePolicyFiles, type PolicyFile, type PolicySet } from './validate-policy-files.js';
export { loadPolicies, readPolicyFiles } from './load-policies.js';
export {
  createPolicyStore,
  type PolicyStore,
  type PolicyStoreOptions,
  type ReloadResult,
} from './policy-store.js';
export { policyJsonSchema, renderPolicyJsonSchema } from './json-schema.js';
export { findAppByImage, type AppMatch } from './find-app-by-image.js';
export { findByDeployRepo } from './find-by-deploy-repo.js';
export { entryEnvironments, downstreamOf, findEnvironment } from './environment-graph.js';
export { environmentPath } from './environment-path.js';
export {
  renderApplicationName,
  verifiedApplications,
  type VerifiedApplication,
} from './verified-applications.js';
