/**
 * ChatOps: commands and approvals in PR comments. It reads people and hands promotion what they asked for.
 *
 * The flow for one new comment: `screenComment` (bots, other repos, foreign PRs, repeats) → `parseCommands`
 * (grammar, nearest match, argument checks) → `authorize` per command (the only async step, through a
 * `PermissionLookup`) → the authorized commands applied by promotion's PR state (`applyComment`, in
 * `promotion/pull-request-state`) → `renderCommandReply`; `handleComment` and `handleReview` run that flow in one
 * call.
 *
 * `createChatopsRuntime` (in `runtime/`) carries that out against the code host: the worker hands it
 * `CommentCreated` and `ReviewSubmitted` events; the PR's state, its lock and its status comment are promotion's
 * (`createPromotionPullRequests`), which it is handed. Imports go one way: chatops → promotion.
 */
export * from './command-lines.js';
export * from './damerau-levenshtein.js';
export * from './parse-commands.js';
export * from './authorize.js';
export * from './render.js';
export * from './stop-commands.js';
export * from './handle-comment.js';
export * from './handle-review.js';
export * from './runtime/index.js';
