import type { MergeResult, PullRequest } from '../../../scm/types.js';
import { protectionReason } from './access-advice.js';

/**
 * What a refused GitHub merge means: already merged (the PR says so); mergeability still being computed
 * (`mergeable: null`) or a base that moved during the merge (405 "Base branch was modified"), both worth retrying;
 * a head that moved (409: re-read the PR first), branch protection or a ruleset (405, its reason kept as
 * "blocked by branch protection: <GitHub's message>") or a conflict (405), all final.
 */
export function decideGitHubMergeFailure(
  status: number,
  message: string,
  pr: PullRequest | null,
): Extract<MergeResult, { merged: false }> {
  if (pr?.merged) return { merged: false, reason: 'already merged', retryable: false, alreadyMerged: true };
  // Branch protection or a ruleset (a required review, a required status check, ...): final until someone acts,
  // and GitHub's own words go to the PR.
  const blocked = status === 405 ? protectionReason(message) : undefined;
  if (blocked) return { merged: false, reason: blocked, retryable: false, alreadyMerged: false };
  const raced = status === 405 && /base branch was modified/i.test(message);
  if (raced || (status === 405 && pr !== null && pr.state === 'open' && pr.mergeable === null)) {
    return {
      merged: false,
      reason: message || 'mergeability is still being computed',
      retryable: true,
      alreadyMerged: false,
    };
  }
  return {
    merged: false,
    reason: message || `GitHub refused the merge (${status})`,
    retryable: false,
    alreadyMerged: false,
  };
}
