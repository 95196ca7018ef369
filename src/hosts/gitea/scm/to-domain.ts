import type { Comment, CommitState, CommitStatus, PullRequest, Review } from '../../../scm/types.js';
import type { GiteaComment, GiteaCommitStatus, GiteaPullRequest, GiteaReview } from './schema.js';

/** Gitea's pull request → the host-neutral one. */
export function toPullRequest(pr: GiteaPullRequest): PullRequest {
  return {
    number: pr.number,
    state: pr.state,
    merged: pr.merged ?? false,
    title: pr.title,
    body: pr.body ?? '',
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    baseRef: pr.base.ref,
    author: pr.user?.login ?? '',
    url: pr.html_url,
    mergeable: pr.mergeable ?? null,
    mergeCommitSha: pr.merge_commit_sha ? pr.merge_commit_sha : null,
  };
}

/** Gitea's issue comment → the host-neutral one. */
export function toComment(comment: GiteaComment): Comment {
  return {
    id: comment.id,
    author: comment.user?.login ?? '',
    body: comment.body,
    createdAt: comment.created_at,
    updatedAt: comment.updated_at ?? comment.created_at,
  };
}

const REVIEW_STATES = {
  APPROVED: 'approved',
  REQUEST_CHANGES: 'rejected',
  COMMENT: 'commented',
  PENDING: 'pending',
  // A review someone was asked for and has not given yet.
  REQUEST_REVIEW: 'pending',
} as const;

/** Gitea's review → the host-neutral one; a dismissed review says so whatever its verdict was. */
export function toReview(review: GiteaReview): Review {
  return {
    id: review.id,
    reviewer: review.user?.login ?? '',
    state: review.dismissed ? 'dismissed' : REVIEW_STATES[review.state],
    commitId: review.commit_id ? review.commit_id : null,
    submittedAt: review.submitted_at ? review.submitted_at : null,
  };
}

/**
 * Gitea has two states GitHub lacks. `warning` counts as a failure (Gitea ≥ 1.26 does so when combining);
 * `skipped` passes, as a skipped check blocks nothing.
 */
export function toCommitState(state: GiteaCommitStatus['status']): CommitState {
  if (state === 'warning') return 'failure';
  if (state === 'skipped') return 'success';
  return state;
}

/** One Gitea status → the host-neutral one (description cut to GitHub's 140 characters). */
export function toCommitStatus(status: GiteaCommitStatus): CommitStatus {
  return {
    context: status.context,
    state: toCommitState(status.status),
    description: (status.description ?? '').slice(0, 140),
    ...(status.target_url ? { targetUrl: status.target_url } : {}),
  };
}
