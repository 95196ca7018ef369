import { z } from 'zod';
import type { RepoRef, ScmKind } from '../events/index.js';

/**
 * The one interface promobot uses to talk to a code host. `hosts/gitea/scm/` and `hosts/github/scm/` implement it; the
 * promotion and chatops code never sees which one it has. Every answer is parsed with the schemas below.
 *
 * Errors: a 5xx, 429 or network failure throws `TransientError` (with `retryAfterMs` when the host said);
 * 401/403/404 and contract violations throw `PermanentError` with advice ("the token needs write:repository").
 */

export const PullRequest = z.object({
  number: z.number().int().positive(),
  state: z.enum(['open', 'closed']),
  merged: z.boolean(),
  title: z.string(),
  body: z.string(),
  headRef: z.string(),
  headSha: z.string(),
  baseRef: z.string(),
  author: z.string(),
  url: z.string(),
  /** null while the host is still computing it. */
  mergeable: z.boolean().nullable(),
  mergeCommitSha: z.string().nullable(),
});
export type PullRequest = z.infer<typeof PullRequest>;

export const Comment = z.object({
  id: z.number().int().positive(),
  author: z.string(),
  body: z.string(),
  createdAt: z.string(),
  /** When the body was last written, by anyone: the host sets it, nobody can choose it. */
  updatedAt: z.string(),
});
export type Comment = z.infer<typeof Comment>;

export const RepoComment = Comment.extend({
  /** The issue or PR the comment is on. */
  number: z.number().int().positive(),
  pullRequest: z.boolean(),
});
export type RepoComment = z.infer<typeof RepoComment>;

export const Review = z.object({
  id: z.number().int().positive(),
  reviewer: z.string(),
  state: z.enum(['approved', 'rejected', 'commented', 'dismissed', 'pending']),
  commitId: z.string().nullable(),
  submittedAt: z.string().nullable(),
});
export type Review = z.infer<typeof Review>;

export const CommitState = z.enum(['pending', 'success', 'failure', 'error']);
export type CommitState = z.infer<typeof CommitState>;

export const CommitStatus = z.object({
  /** Always under the `promobot/` prefix when promobot sets it. */
  context: z.string().min(1),
  state: CommitState,
  description: z.string().max(140),
  targetUrl: z.string().optional(),
});
export type CommitStatus = z.infer<typeof CommitStatus>;

export const Permission = z.enum(['admin', 'write', 'read', 'none']);
export type Permission = z.infer<typeof Permission>;

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export type MergeResult =
  | { merged: true; sha: string | null }
  /** `retryable`: the host is still computing mergeability, or lost a race; try again later. */
  | { merged: false; reason: string; retryable: boolean; alreadyMerged: boolean };

export interface CreatePullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
}

export interface ScmHost {
  readonly kind: ScmKind;
  /** The account the token belongs to (the bot itself, to ignore its own comments). */
  whoAmI(): Promise<{ login: string }>;
  /** The open PR from `head` into `base`, if any (Gitea: `GET /pulls/{base}/{head}`, checking state). */
  findOpenPullRequest(repo: RepoRef, head: string, base: string): Promise<PullRequest | null>;
  getPullRequest(repo: RepoRef, number: number): Promise<PullRequest>;
  listOpenPullRequests(repo: RepoRef, base?: string): Promise<PullRequest[]>;
  createPullRequest(repo: RepoRef, pr: CreatePullRequest): Promise<PullRequest>;
  updatePullRequest(
    repo: RepoRef,
    number: number,
    change: { title?: string; body?: string },
  ): Promise<PullRequest>;
  closePullRequest(repo: RepoRef, number: number): Promise<void>;
  mergePullRequest(
    repo: RepoRef,
    number: number,
    options: { method: MergeMethod; headSha?: string; title?: string; message?: string },
  ): Promise<MergeResult>;
  setCommitStatus(repo: RepoRef, sha: string, status: CommitStatus): Promise<void>;
  listCommitStatuses(repo: RepoRef, sha: string): Promise<CommitStatus[]>;
  createComment(repo: RepoRef, number: number, body: string): Promise<Comment>;
  updateComment(repo: RepoRef, commentId: number, body: string): Promise<Comment>;
  listComments(repo: RepoRef, number: number): Promise<Comment[]>;
  /**
   * Every comment on the repo's issues and PRs, oldest first, with the number each is on and whether that is a PR
   * (Gitea and GitHub: `GET /repos/{owner}/{repo}/issues/comments`). The global stops are rebuilt from it.
   */
  listRepoComments?(repo: RepoRef): Promise<RepoComment[]>;
  listReviews(repo: RepoRef, number: number): Promise<Review[]>;
  /** `+1`, `-1`, `eyes`, `confused`, ... on a comment. */
  addReaction(repo: RepoRef, commentId: number, reaction: '+1' | '-1' | 'eyes' | 'confused'): Promise<void>;
  getPermission(repo: RepoRef, user: string): Promise<Permission>;
  isTeamMember(org: string, team: string, user: string): Promise<boolean>;
  deleteBranch(repo: RepoRef, branch: string): Promise<void>;
  /** HTTPS clone URL of the repo (no credentials in it). */
  cloneUrl(repo: RepoRef): string;
}

/** `owner/name` → RepoRef. */
export function repoRef(fullName: string): RepoRef {
  const [owner, name, ...rest] = fullName.split('/');
  if (!owner || !name || rest.length > 0) throw new Error(`not an owner/name: ${JSON.stringify(fullName)}`);
  return { owner, name, fullName };
}
