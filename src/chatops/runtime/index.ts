/**
 * ChatOps carried out: comments and reviews from the queue claimed, authorized and answered against the code host;
 * what they change is applied and published by promotion's PR state.
 */
export {
  type ChatopsRuntime,
  type ChatopsRuntimeDeps,
  createChatopsRuntime,
} from './create-chatops-runtime.js';
export { type CommentClaim, type CommentClaims, createCommentClaims } from './comment-claims.js';
