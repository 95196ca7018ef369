import { z } from 'zod';
import { headerValue, type NormalizeResult, type WebhookHeaders } from '../../events/normalize-result.js';
import { parsePayload as parse } from '../../events/parse-payload.js';
import type { DomainEvent, RepoRef } from '../../events/types.js';

/**
 * Gitea webhook payloads (go-gitea/gitea modules/structs/hook.go), only the fields promobot reads; everything else
 * is allowed and dropped.
 */
const GiteaUser = z.object({ login: z.string().min(1) });

export const GiteaRepository = z.object({
  name: z.string().min(1),
  full_name: z.string().min(1),
  owner: GiteaUser,
});
export type GiteaRepository = z.infer<typeof GiteaRepository>;

export const GiteaPushPayload = z.object({
  ref: z.string().min(1),
  before: z.string(),
  after: z.string(),
  commits: z.array(z.object({ id: z.string(), message: z.string() })).nullable(),
  pusher: GiteaUser,
  repository: GiteaRepository,
});
export type GiteaPushPayload = z.infer<typeof GiteaPushPayload>;

const GiteaPullRequest = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullable(),
  user: GiteaUser,
  merged: z.boolean(),
  merge_commit_sha: z.string().nullable(),
  head: z.object({ ref: z.string(), sha: z.string() }),
  base: z.object({ ref: z.string() }),
});

export const GiteaPullRequestPayload = z.object({
  action: z.string().min(1),
  number: z.number().int().positive(),
  pull_request: GiteaPullRequest,
  repository: GiteaRepository,
  sender: GiteaUser,
});
export type GiteaPullRequestPayload = z.infer<typeof GiteaPullRequestPayload>;

export const GiteaIssueCommentPayload = z.object({
  action: z.string().min(1),
  issue: z.object({ number: z.number().int().positive() }),
  comment: z.object({ id: z.number().int().positive(), body: z.string(), user: GiteaUser }),
  repository: GiteaRepository,
  is_pull: z.boolean(),
});
export type GiteaIssueCommentPayload = z.infer<typeof GiteaIssueCommentPayload>;

export const GiteaReviewPayload = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({ number: z.number().int().positive() }),
  repository: GiteaRepository,
  sender: GiteaUser,
  commit_id: z.string().optional(),
  review: z.object({ type: z.string(), content: z.string() }).nullable(),
});
export type GiteaReviewPayload = z.infer<typeof GiteaReviewPayload>;

/**
 * `X-Gitea-Event` is coarse (reviews are `pull_request_approved`, and `pull_request_comment` means a review
 * comment); `X-Gitea-Event-Type` is the finer name we route on. Senders that omit the finer header are mapped.
 */
const COARSE_TO_FINE: Record<string, string> = {
  pull_request_approved: 'pull_request_review_approved',
  pull_request_rejected: 'pull_request_review_rejected',
  pull_request_comment: 'pull_request_review_comment',
};

const REVIEW_STATES = {
  pull_request_review_approved: 'approved',
  pull_request_review_rejected: 'rejected',
  pull_request_review_comment: 'commented',
} as const;

const PR_ACTIONS = {
  opened: 'opened',
  reopened: 'reopened',
  closed: 'closed',
  synchronized: 'synchronized',
} as const;

/** The event type a Gitea delivery is routed on, from its headers. */
export function giteaEventType(headers: WebhookHeaders): string | undefined {
  const fine = headerValue(headers, 'x-gitea-event-type');
  if (fine) return fine;
  const coarse = headerValue(headers, 'x-gitea-event');
  return coarse ? (COARSE_TO_FINE[coarse] ?? coarse) : undefined;
}

/**
 * Turns a Gitea delivery into a domain event, routed on `X-Gitea-Event-Type`: push, pull requests (opened,
 * reopened, synchronized, closed — `merged` tells a merge), comments on pull requests, and reviews.
 */
export function normalizeGitea(headers: WebhookHeaders, body: unknown): NormalizeResult {
  const type = giteaEventType(headers);
  switch (type) {
    case 'push':
      return one(pushEvent(parse('Gitea push', GiteaPushPayload, body)));
    case 'pull_request':
    case 'pull_request_sync': {
      const payload = parse('Gitea pull_request', GiteaPullRequestPayload, body);
      const action = Object.hasOwn(PR_ACTIONS, payload.action)
        ? PR_ACTIONS[payload.action as keyof typeof PR_ACTIONS]
        : undefined;
      if (action === undefined)
        return { ignored: `Gitea pull_request action ${payload.action} is not acted on` };
      const pr = payload.pull_request;
      return one({
        type: 'PullRequestChanged',
        scm: 'gitea',
        action,
        repo: repoRef(payload.repository),
        number: pr.number,
        merged: pr.merged,
        mergeCommitSha: pr.merged ? pr.merge_commit_sha : null,
        headRef: pr.head.ref,
        headSha: pr.head.sha,
        baseRef: pr.base.ref,
        author: pr.user.login,
        sender: payload.sender.login,
        title: pr.title,
        body: pr.body ?? '',
      });
    }
    case 'issue_comment':
    case 'pull_request_comment': {
      const payload = parse('Gitea issue_comment', GiteaIssueCommentPayload, body);
      if (payload.action !== 'created') {
        return { ignored: `Gitea comment action ${payload.action} is not acted on (only created)` };
      }
      return one({
        type: 'CommentCreated',
        scm: 'gitea',
        repo: repoRef(payload.repository),
        number: payload.issue.number,
        // Comments on plain issues of the deploy repo carry `/promote` and `/rollback`.
        isPullRequest: payload.is_pull,
        commentId: payload.comment.id,
        body: payload.comment.body,
        author: payload.comment.user.login,
        // Gitea's user objects carry no bot marker; ChatOps decides by login.
        authorIsBot: false,
      });
    }
    case 'pull_request_review_approved':
    case 'pull_request_review_rejected':
    case 'pull_request_review_comment': {
      const payload = parse('Gitea pull_request review', GiteaReviewPayload, body);
      return one({
        type: 'ReviewSubmitted',
        scm: 'gitea',
        repo: repoRef(payload.repository),
        number: payload.pull_request.number,
        state: REVIEW_STATES[type],
        reviewer: payload.sender.login,
        // Gitea sends "" when it does not say which commit was reviewed.
        commitId: payload.commit_id ? payload.commit_id : null,
        body: payload.review?.content ?? '',
      });
    }
    default:
      return { ignored: `Gitea event ${type ?? '(none)'} is not acted on` };
  }
}

function pushEvent(payload: GiteaPushPayload): DomainEvent {
  return {
    type: 'PushReceived',
    scm: 'gitea',
    repo: repoRef(payload.repository),
    ref: payload.ref,
    before: payload.before,
    after: payload.after,
    pusher: payload.pusher.login,
    commits: (payload.commits ?? []).map((c) => ({ id: c.id, message: c.message })),
  };
}

function repoRef(repository: GiteaRepository): RepoRef {
  return { owner: repository.owner.login, name: repository.name, fullName: repository.full_name };
}

function one(event: DomainEvent): NormalizeResult {
  return { events: [event] };
}
