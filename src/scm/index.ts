// The code-host port: what promobot asks of Gitea and GitHub, and how their failures are sorted. The adapters and
// their factory are in src/hosts/ (createScmHost in hosts/index.ts).
export {
  PullRequest,
  Comment,
  Review,
  CommitState,
  CommitStatus,
  Permission,
  repoRef,
  type MergeMethod,
  type MergeResult,
  type CreatePullRequest,
  type ScmHost,
} from './types.js';
