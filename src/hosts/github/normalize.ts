import { z } from 'zod';
import { headerValue, type NormalizeResult, type WebhookHeaders } from '../../events/normalize-result.js';
import { parsePayload } from '../../events/parse-payload.js';
import type { DomainEvent, RepoRef } from '../../events/types.js';

/**
 * GitHub webhook payloads, only the fields promobot reads (shapes from `@octokit/openapi`, `x-webhooks`:
 * push, pull-request-*, issue-comment-*, pull-request-review-submitted).
 */
const GitHubUser = z.object({ login: z.string().min(1), type: z.string().optional() });

export const GitHubRepository = z.object({
  name: z.string().min(1),
  full_name: z.string().min(1),
  owner: GitHubUser,
});
export type GitHubRepository = z.infer<typeof GitHubRepository>;

export const GitHubPushPayload = z.object({
  ref: z.string().min(1),
  before: z.string(),
  after: z.string(),
  commits: z.array(z.object({ id: z.string(), message: z.string() })),
  // `pusher` is a git identity ({name, email}), not a user object.
  pusher: z.object({ name: z.string(), username: z.string().optional() }),
  repository: GitHubRepository,
});
export type GitHubPushPayload = z.infer<typeof GitHubPushPayload>;

export const GitHubPullRequestPayload = z.object({
  action: z.string().min(1),
  number: z.number().int().positive(),
  pull_request: z.object({
    number: z.number().int().positive(),
    title: z.string(),
    body: z.string().nullable(),
    user: GitHubUser,
    merged: z.boolean().nullable().optional(),
    merge_commit_sha: z.string().nullable(),
    head: z.object({ ref: z.string(), sha: z.string() }),
    base: z.object({ ref: z.string() }),
  }),
  repository: GitHubRepository,
  sender: GitHubUser,
});
export type GitHubPullRequestPayload = z.infer<typeof GitHubPullRequestPayload>;

export const GitHubIssueCommentPayload = z.object({
  action: z.string().min(1),
  issue: z.object({
    number: z.number().int().positive(),
    pull_request: z.object({ url: z.string().optional() }).nullable().optional(),
  }),
  comment: z.object({ id: z.number().int().positive(), body: z.string(), user: GitHubUser }),
  repository: GitHubRepository,
});
export type GitHubIssueCommentPayload = z.infer<typeof GitHubIssueCommentPayload>;

export const GitHubReviewPayload = z.object({
  action: z.string().min(1),
  review: z.object({
    state: z.string(),
    body: z.string().nullable(),
    commit_id: z.string().nullable().optional(),
    user: GitHubUser.nullable(),
  }),
  pull_request: z.object({ number: z.number().int().positive() }),
  repository: GitHubRepository,
  sender: GitHubUser,
});
export type GitHubReviewPayload = z.infer<typeof GitHubReviewPayload>;

const PR_ACTIONS = {
  opened: 'opened',
  reopened: 'reopened',
  closed: 'closed',
  synchronize: 'synchronized',
} as const;

const REVIEW_STATES = {
  approved: 'approved',
  changes_requested: 'rejected',
  commented: 'commented',
} as const;

/**
 * Turns a GitHub delivery into a domain event, routed on `X-GitHub-Event`: push, pull_request (opened, reopened,
 * synchronize, closed), issue_comment created on a pull request, and pull_request_review submitted.
 */
export function normalizeGitHub(headers: WebhookHeaders, body: unknown): NormalizeResult {
  const type = headerValue(headers, 'x-github-event');
  switch (type) {
    case 'push':
      return one(pushEvent(parsePayload('GitHub push', GitHubPushPayload, body)));
    case 'pull_request': {
      const payload = parsePayload('GitHub pull_request', GitHubPullRequestPayload, body);
      const action = lookup(PR_ACTIONS, payload.action);
      if (action === undefined)
        return { ignored: `GitHub pull_request action ${payload.action} is not acted on` };
      const pr = payload.pull_request;
      const merged = pr.merged === true;
      return one({
        type: 'PullRequestChanged',
        scm: 'github',
        action,
        repo: repoRef(payload.repository),
        number: pr.number,
        merged,
        // GitHub fills merge_commit_sha with a test merge on open PRs; only a merged PR's value is the merge.
        mergeCommitSha: merged ? pr.merge_commit_sha : null,
        headRef: pr.head.ref,
        headSha: pr.head.sha,
        baseRef: pr.base.ref,
        author: pr.user.login,
        sender: payload.sender.login,
        title: pr.title,
        body: pr.body ?? '',
      });
    }
    case 'issue_comment': {
      const payload = parsePayload('GitHub issue_comment', GitHubIssueCommentPayload, body);
      if (payload.action !== 'created') {
        return { ignored: `GitHub comment action ${payload.action} is not acted on (only created)` };
      }
      return one({
        type: 'CommentCreated',
        scm: 'github',
        repo: repoRef(payload.repository),
        number: payload.issue.number,
        // Comments on plain issues of the deploy repo carry `/promote` and `/rollback`.
        isPullRequest: payload.issue.pull_request !== undefined && payload.issue.pull_request !== null,
        commentId: payload.comment.id,
        body: payload.comment.body,
        author: payload.comment.user.login,
        authorIsBot: payload.comment.user.type === 'Bot',
      });
    }
    case 'pull_request_review': {
      const payload = parsePayload('GitHub pull_request_review', GitHubReviewPayload, body);
      if (payload.action !== 'submitted') {
        return {
          ignored: `GitHub pull_request_review action ${payload.action} is not acted on (only submitted)`,
        };
      }
      // Webhooks spell states in lower case; the REST API in upper case.
      const state = lookup(REVIEW_STATES, payload.review.state.toLowerCase());
      if (state === undefined)
        return { ignored: `GitHub review state ${payload.review.state} is not acted on` };
      return one({
        type: 'ReviewSubmitted',
        scm: 'github',
        repo: repoRef(payload.repository),
        number: payload.pull_request.number,
        state,
        reviewer: payload.review.user?.login ?? payload.sender.login,
        commitId: payload.review.commit_id ?? null,
        body: payload.review.body ?? '',
      });
    }
    default:
      return { ignored: `GitHub event ${type ?? '(none)'} is not acted on` };
  }
}

function pushEvent(payload: GitHubPushPayload): DomainEvent {
  return {
    type: 'PushReceived',
    scm: 'github',
    repo: repoRef(payload.repository),
    ref: payload.ref,
    before: payload.before,
    after: payload.after,
    pusher: payload.pusher.username ?? payload.pusher.name,
    commits: payload.commits.map((c) => ({ id: c.id, message: c.message })),
  };
}

function repoRef(repository: GitHubRepository): RepoRef {
  return { owner: repository.owner.login, name: repository.name, fullName: repository.full_name };
}

function lookup<T extends Record<string, string>>(table: T, key: string): T[keyof T] | undefined {
  return Object.hasOwn(table, key) ? table[key as keyof T] : undefined;
}

function one(event: DomainEvent): NormalizeResult {
  return { events: [event] };
}
