/**
 * The promotion PR and its state, owned by promotion: the state and its reducers (`promotion-state`), the one merge
 * decision (`decide-merge`), the status comment that shows the state and carries a sealed copy of it
 * (`status-comment`, `state-seal`), the holds read back from the host's comments, the Redis store, and the runtime
 * that loads, rebuilds, seals and publishes it under the PR's lock. ChatOps hands it what people asked for.
 */
export {
  COMMAND_NAMES,
  Command,
  type CommandAuthorization,
  CommandName,
  DNS_LABEL,
  EnvName,
  MAX_HOLD_REASON,
  OCI_TAG,
  READ_ONLY_COMMANDS,
  RollbackTag,
  formatCommand,
} from './command.js';
export {
  type AuthorizedCommand,
  Candidate,
  CommandResult,
  MAX_AUDIT_ENTRIES,
  MAX_PROCESSED_COMMENTS,
  PromotionState,
  RequesterRecord,
  addRequester,
  applyComment,
  applyReview,
  countedApprovals,
  currentApprovals,
  emptyPromotionState,
  hold,
  isProcessed,
  setCandidate,
  setGates,
  unhold,
} from './promotion-state.js';
export {
  APPROVAL_STATUS_CONTEXT,
  type MergeDecision,
  type MergeInput,
  approvalStatus,
  botMerges,
  decideMerge,
  requiredApprovals,
} from './decide-merge.js';
export {
  MAX_STATUS_COMMENT_LENGTH,
  STATUS_COMMENT_MARKER,
  approvalsCount,
  escapeText,
  inlineCode,
  isStatusComment,
  readSignedState,
  readStatusComment,
  renderMergeComment,
  renderMergeTrailers,
  renderStatusComment,
  renderSummary,
} from './status-comment.js';
export {
  STATE_WRITE_TOLERANCE_MS,
  createStateSeal,
  defuseMarkers,
  staleBlock,
  stateScope,
  statusCommentScope,
} from './state-seal.js';
export { type HostComment, holdEvents, replayHolds } from './holds-from-comments.js';
export { type PullRequestKey, StoredPromotion, createPullRequestStore } from './pull-request-store.js';
export { readPromotionPullRequest } from './promotion-pull-request.js';
export { type ApproverCheck, type PermissionLookup } from './approver-check.js';
export { waitingOnlyForApprovals, waitingSummary } from './waiting-for-approval.js';
export {
  type GateVerdict,
  type LoadedPromotion,
  type PromotionPullRequests,
  type PromotionPullRequestsDeps,
  REPLY_MARKER_START,
  type ResolvedRepo,
  createPromotionPullRequests,
} from './create-promotion-pull-requests.js';
