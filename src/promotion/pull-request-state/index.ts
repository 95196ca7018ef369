/**
 * The promotion PR and its state, owned by promotion: the state and its reducers (`promotion-state`), the one merge
 * decision (`decide-merge`), the status comment that shows the state and carries a sealed copy of it
 * (`status-comment`, `state-seal`), the holds read back from the host's comments, the Redis store, and the runtime
 * that loads, rebuilds, seals and publishes it under the PR's lock. ChatOps hands it what people asked for.
 */
export * from './command.js';
export * from './promotion-state.js';
export * from './decide-merge.js';
export * from './status-comment.js';
export * from './state-seal.js';
export * from './holds-from-comments.js';
export * from './pull-request-store.js';
export * from './promotion-pull-request.js';
export * from './approver-check.js';
export * from './waiting-for-approval.js';
export * from './create-promotion-pull-requests.js';
