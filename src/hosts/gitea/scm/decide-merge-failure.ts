import type { MergeResult, PullRequest } from '../../../scm/types.js';

/**
 * What a refused Gitea merge means (routers/api/v1/repo/pull.go MergePullRequest): 404 closed unmerged; 405 with the
 * PR merged → already merged; 405 "Please try again later" → mergeability still being computed (retry); other 405s
 * are protection or permission refusals; 409 a conflict or a head that moved.
 */
export function decideMergeFailure(
  status: number,
  message: string,
  pr: PullRequest | null,
): Extract<MergeResult, { merged: false }> {
  if (pr?.merged) return { merged: false, reason: 'already merged', retryable: false, alreadyMerged: true };
  if (status === 404)
    return { merged: false, reason: 'the pull request is closed', retryable: false, alreadyMerged: false };
  if (status === 405 && /try again later/i.test(message)) {
    return { merged: false, reason: message, retryable: true, alreadyMerged: false };
  }
  if (status === 409) {
    return {
      merged: false,
      reason: message || 'merge conflict or the head moved',
      retryable: false,
      alreadyMerged: false,
    };
  }
  return {
    merged: false,
    reason: message || `Gitea refused the merge (${status})`,
    retryable: false,
    alreadyMerged: false,
  };
}
