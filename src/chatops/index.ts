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
export { MAX_COMMENT_LENGTH, ParseResult, ParsedCommand, parseCommands } from './parse-commands.js';
export {
  Actor,
  Authorization,
  type AuthorizeContext,
  type PermissionLookup,
  authorize,
  isBotActor,
} from './authorize.js';
export { renderCommandReply, renderHelp } from './render.js';
export { parseStopCommands, stopCommandsIn } from './stop-commands.js';
export { type ChatopsContext, commentCommands, handleComment } from './handle-comment.js';
export { handleReview } from './handle-review.js';
export {
  type ChatopsRuntime,
  type ChatopsRuntimeDeps,
  createChatopsRuntime,
  createCommentClaims,
} from './runtime/index.js';
