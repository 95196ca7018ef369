import type { Comment, Permission, PullRequest, Review } from '../../../scm/types.js';
import type { GitHubComment, GitHubPullRequest, GitHubReview } from './schema.js';

/** GitHub's pull request (full or list item) → the host-neutral one. */
export function toPullRequest(pr: GitHubPullRequest): PullRequest {
  return {
    number: pr.number,
    state: pr.state,
    merged: pr.merged ?? Boolean(pr.merged_at),
    title: pr.title,
    body: pr.body ?? '',
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    baseRef: pr.base.ref,
    author: pr.user?.login ?? '',
    url: pr.html_url,
    mergeable: pr.mergeable ?? null,
    mergeCommitSha: pr.merge_commit_sha ?? null,
  };
}

/** GitHub's issue comment → the host-neutral one. */
export function toComment(comment: GitHubComment): Comment {
  return {
    id: comment.id,
    author: comment.user?.login ?? '',
    body: comment.body ?? '',
    createdAt: comment.created_at,
    updatedAt: comment.updated_at ?? comment.created_at,
  };
}

const REVIEW_STATES: Record<string, Review['state']> = {
  APPROVED: 'approved',
  CHANGES_REQUESTED: 'rejected',
  COMMENTED: 'commented',
  DISMISSED: 'dismissed',
  PENDING: 'pending',
};

/** GitHub's review → the host-neutral one. */
export function toReview(review: GitHubReview): Review {
  return {
    id: review.id,
    reviewer: review.user?.login ?? '',
    state: REVIEW_STATES[review.state] ?? 'commented',
    commitId: review.commit_id ?? null,
    submittedAt: review.submitted_at ?? null,
  };
}

/** `maintain` and `triage` are roles, not levels: GitHub's `permission` field already folds them to write/read. */
export function toPermission(level: string): Permission {
  if (level === 'admin' || level === 'write' || level === 'read') return level;
  if (level === 'maintain') return 'write';
  if (level === 'triage') return 'read';
  return 'none';
}
