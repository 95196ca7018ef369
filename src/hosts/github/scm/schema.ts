import { z } from 'zod';

/** GitHub REST answers, as far as promobot reads them (unknown fields are dropped). */

export const GitHubUser = z.object({ login: z.string() });

export const GitHubPullRequest = z.object({
  number: z.number().int().positive(),
  state: z.enum(['open', 'closed']),
  /** Absent from list items (pull-request-simple). */
  merged: z.boolean().nullish(),
  merged_at: z.string().nullish(),
  title: z.string(),
  body: z.string().nullish(),
  html_url: z.string(),
  user: GitHubUser.nullish(),
  head: z.object({ ref: z.string(), sha: z.string() }),
  base: z.object({ ref: z.string(), sha: z.string() }),
  /** null while GitHub computes it; absent from list items. */
  mergeable: z.boolean().nullish(),
  merge_commit_sha: z.string().nullish(),
});
export type GitHubPullRequest = z.infer<typeof GitHubPullRequest>;

export const GitHubComment = z.object({
  id: z.number().int().positive(),
  body: z.string().nullish(),
  user: GitHubUser.nullish(),
  created_at: z.string(),
  updated_at: z.string().nullish(),
});
export type GitHubComment = z.infer<typeof GitHubComment>;

/**
 * A comment as `GET /repos/{owner}/{repo}/issues/comments` lists it ("every pull request is an issue": PR comments
 * are listed too). `issue_url` ends in the number either way; `html_url` is `.../pull/<n>#issuecomment-<id>` on a PR
 * and `.../issues/<n>#issuecomment-<id>` on an issue (docs.github.com rest/issues/comments, its example).
 */
export const GitHubRepoComment = GitHubComment.extend({
  issue_url: z.string(),
  html_url: z.string(),
});
export type GitHubRepoComment = z.infer<typeof GitHubRepoComment>;

export const GitHubReview = z.object({
  id: z.number().int().positive(),
  user: GitHubUser.nullish(),
  state: z.string(),
  commit_id: z.string().nullish(),
  submitted_at: z.string().nullish(),
});
export type GitHubReview = z.infer<typeof GitHubReview>;

export const GitHubStatus = z.object({
  context: z.string(),
  state: z.enum(['pending', 'success', 'failure', 'error']),
  description: z.string().nullish(),
  target_url: z.string().nullish(),
});

export const GitHubCombinedStatus = z.object({
  state: z.string(),
  statuses: z.array(GitHubStatus),
});

export const GitHubPermission = z.object({
  permission: z.string(),
});

export const GitHubTeam = z.object({ slug: z.string(), privacy: z.string().nullish() });

export const GitHubMembership = z.object({
  state: z.enum(['active', 'pending']),
});

export const GitHubMergeResult = z.object({
  merged: z.boolean(),
  sha: z.string().nullish(),
  message: z.string().nullish(),
});

/** An answer promobot does not read (a created status, a reaction, an empty 204). */
export const Unread = z.unknown();
