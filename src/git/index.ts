/**
 * The one writer of deploy repos: persistent working copies, a Redis lock per repo, commits with trailers, pushes
 * that retry on a lost race and never force, and the coalescing of pending changes.
 */
export {
  createDeployRepo,
  type ApplyChanges,
  type CommitSpec,
  type DeployRepo,
  type DeployRepoDeps,
  type TransactOptions,
  type TransactResult,
} from './deploy-repo.js';
export type { FileTree } from './file-tree.js';
export { FileTooLargeError, MAX_DEPLOY_FILE_BYTES, createFileTree } from './file-tree.js';
export { createOverlayFileTree, type OverlayChange, type OverlayFileTree } from './overlay-file-tree.js';
export { CommitQuery, type TrailerCommit } from './find-last-commits.js';
export { formatCommitMessage } from './format-commit-message.js';
export { parseTrailers } from './parse-trailers.js';
export {
  PROMOBOT_TRAILERS,
  PROMOBOT_TRAILER_PREFIX,
  TrailerKey,
  TrailerValue,
  Trailers,
} from './trailers.js';
export {
  createPendingChanges,
  type PendingChanges,
  type PendingChangesOptions,
  type PendingEntry,
  type PutOutcome,
} from './pending-changes.js';
export { landPending, type LandResult } from './land-pending.js';
export { acquireRepoLock, type LockLease, type RepoLockOptions } from './repo-lock.js';
export { DeployRepoOptions, GitAuth, GitIdentity, type TokenSource } from './schema.js';
export { classifyGitError, type GitFailure } from './classify-git-error.js';
export { safeRelativePath } from './safe-path.js';
export { gitEnv, type GitEnvOptions } from './git-env.js';
export { repoKey, workingCopyDir } from './working-copy-dir.js';
export {
  createHistoryReader,
  HISTORY_DEPTH,
  HISTORY_CACHE_ENTRIES,
  BLOB_CACHE_ENTRIES,
  MAX_VERSIONS_READ,
  type EnvHistory,
  type HistoryReader,
  type TagReader,
  type TagRun,
} from './env-history.js';
