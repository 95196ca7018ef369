/**
 * ChatOps: commands and approvals in PR comments, as pure functions.
 *
 * The flow for one new comment: `screenComment` (bots, other repos, foreign PRs, repeats) → `parseCommands`
 * (grammar, nearest match, argument checks) → `authorize` per command (the only async step, through a
 * `PermissionLookup`) → `applyComment` on the per-PR `PromotionState` → `renderCommandReply` and
 * `renderStatusComment`; `handleComment` and `handleReview` run that flow in one call. `decideMerge` and
 * `approvalStatus` turn the state into the merge decision and the `promobot/approval` commit status.
 *
 * `createChatopsRuntime` (in `runtime/`) carries that out against the code host and Redis: the worker hands it
 * `CommentCreated` and `ReviewSubmitted` events, and promotion asks it `mergeReadiness` and `mergeTrailers`.
 */
export * from './command-lines.js';
export * from './damerau-levenshtein.js';
export * from './parse-commands.js';
export * from './authorize.js';
export * from './render.js';
export * from './handle-comment.js';
export * from './handle-review.js';
export * from './runtime/index.js';
