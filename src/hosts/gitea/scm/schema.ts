import { z } from 'zod';

/**
 * Gitea REST v1 answers, as far as promobot reads them (unknown fields are dropped). Go pointer fields come back as
 * `null`, which the contract does not mark, so every optional field here also accepts null.
 */

export const GiteaUser = z.object({
  id: z.number().int(),
  login: z.string(),
});
export type GiteaUser = z.infer<typeof GiteaUser>;

export const GiteaBranchInfo = z.object({
  ref: z.string(),
  sha: z.string(),
  label: z.string().nullish(),
});

export const GiteaPullRequest = z.object({
  number: z.number().int().positive(),
  state: z.enum(['open', 'closed']),
  merged: z.boolean().nullish(),
  title: z.string(),
  body: z.string().nullish(),
  html_url: z.string(),
  user: GiteaUser.nullish(),
  head: GiteaBranchInfo,
  base: GiteaBranchInfo,
  mergeable: z.boolean().nullish(),
  merge_commit_sha: z.string().nullish(),
});
export type GiteaPullRequest = z.infer<typeof GiteaPullRequest>;

export const GiteaComment = z.object({
  id: z.number().int().positive(),
  body: z.string(),
  user: GiteaUser.nullish(),
  created_at: z.string(),
  updated_at: z.string().nullish(),
});
export type GiteaComment = z.infer<typeof GiteaComment>;

/**
 * A comment as `GET /repos/{owner}/{repo}/issues/comments` lists it. Gitea fills `issue_url` only for a comment on
 * an issue and `pull_request_url` only for one on a PR, each the web URL ending in the number
 * (models/issues/comment.go `IssueURL`, `PRURL`: "" when `Issue.IsPull` says otherwise).
 */
export const GiteaRepoComment = GiteaComment.extend({
  issue_url: z.string().nullish(),
  pull_request_url: z.string().nullish(),
});
export type GiteaRepoComment = z.infer<typeof GiteaRepoComment>;

export const GiteaReview = z.object({
  id: z.number().int().positive(),
  user: GiteaUser.nullish(),
  state: z.enum(['APPROVED', 'PENDING', 'COMMENT', 'REQUEST_CHANGES', 'REQUEST_REVIEW']),
  dismissed: z.boolean().nullish(),
  commit_id: z.string().nullish(),
  submitted_at: z.string().nullish(),
});
export type GiteaReview = z.infer<typeof GiteaReview>;

export const GiteaCommitStatus = z.object({
  context: z.string(),
  status: z.enum(['pending', 'success', 'error', 'failure', 'warning', 'skipped']),
  description: z.string().nullish(),
  target_url: z.string().nullish(),
});
export type GiteaCommitStatus = z.infer<typeof GiteaCommitStatus>;

/** With no statuses at all Gitea answers `{"state": ""}` (not pending, not 404). */
export const GiteaCombinedStatus = z.object({
  state: z.enum(['', 'pending', 'success', 'error', 'failure', 'warning', 'skipped']),
  statuses: z.array(GiteaCommitStatus).nullish(),
  total_count: z.number().int().nullish(),
});
export type GiteaCombinedStatus = z.infer<typeof GiteaCombinedStatus>;

export const GiteaPermission = z.object({
  permission: z.enum(['none', 'read', 'write', 'admin', 'owner']),
});

export const GiteaTeam = z.object({
  id: z.number().int(),
  name: z.string(),
});
export type GiteaTeam = z.infer<typeof GiteaTeam>;

export const GiteaTeamSearch = z.object({
  ok: z.boolean().nullish(),
  data: z.array(GiteaTeam).nullish(),
});

/** Error bodies: `{message, url}` mostly; a merge conflict's 409 is a raw error object, some 403s are empty. */
export const GiteaErrorBody = z.object({ message: z.string().nullish() }).loose();
