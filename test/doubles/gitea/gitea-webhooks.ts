import { createHmac, randomUUID } from 'node:crypto';
import { fixtureJson } from '../../support/fixtures.js';

type Json = Record<string, unknown>;

/** One event as Gitea names it: the coarse `X-Gitea-Event` and the finer `X-Gitea-Event-Type`. */
export interface GiteaEvent {
  event: string;
  eventType: string;
  payload: Json;
}

/**
 * Payloads built on the real captured deliveries in test/fixtures/gitea: every field a real Gitea sends is there,
 * with the double's own values laid over it.
 */
export function pullRequestEvent(
  action: 'opened' | 'synchronized' | 'closed' | 'reopened' | 'edited',
  pull: Json,
  repository: Json,
  sender: Json,
): GiteaEvent {
  const fixture = fixtureJson<Json>('gitea/pull_request.closed_merged.json');
  return {
    event: 'pull_request',
    eventType: action === 'synchronized' ? 'pull_request_sync' : 'pull_request',
    payload: {
      ...fixture,
      action,
      number: pull.number,
      pull_request: { ...(fixture.pull_request as Json), ...pull },
      repository: { ...(fixture.repository as Json), ...repository },
      sender: { ...(fixture.sender as Json), ...sender },
      commit_id: '',
      review: null,
    },
  };
}

export interface PushCommit {
  id: string;
  message: string;
  author: { name: string; email: string };
  timestamp: string;
}

/** A push lists at most 5 commits (newest first); `total_commits` has the full count. */
export function pushEvent(
  ref: string,
  before: string,
  after: string,
  commits: PushCommit[],
  repository: Json,
  pusher: Json,
): GiteaEvent {
  const fixture = fixtureJson<Json>('gitea/push.json');
  const htmlUrl = String(repository.html_url);
  const render = (c: PushCommit) => ({
    id: c.id,
    message: c.message,
    url: `${htmlUrl}/commit/${c.id}`,
    author: { ...c.author, username: '' },
    committer: { ...c.author, username: '' },
    verification: null,
    timestamp: c.timestamp,
    added: [],
    removed: [],
    modified: [],
  });
  const listed = commits.slice(0, 5).map(render);
  return {
    event: 'push',
    eventType: 'push',
    payload: {
      ...fixture,
      ref,
      before,
      after,
      compare_url: `${htmlUrl}/compare/${before}...${after}`,
      commits: listed,
      total_commits: commits.length,
      head_commit: listed[0] ?? null,
      repository: { ...(fixture.repository as Json), ...repository },
      pusher: { ...(fixture.pusher as Json), ...pusher },
      sender: { ...(fixture.sender as Json), ...pusher },
    },
  };
}

/** A new branch: Gitea sends `create` before the branch's `push`. */
export function createEvent(branch: string, sha: string, repository: Json, sender: Json): GiteaEvent {
  return {
    event: 'create',
    eventType: 'create',
    payload: { sha, ref: branch, ref_type: 'branch', repository, sender },
  };
}

/** A deleted branch fires only `delete` (no push), even when it closes PRs. */
export function deleteEvent(branch: string, repository: Json, sender: Json): GiteaEvent {
  return {
    event: 'delete',
    eventType: 'delete',
    payload: { ref: branch, ref_type: 'branch', pusher_type: 'user', repository, sender },
  };
}

/**
 * A comment on a plain issue: `issue_comment` with `is_pull: false` and no pull request. Gitea's
 * services/webhook/notifier.go CreateIssueComment picks HookEventIssueComment when `!issue.IsPull` and sends an
 * IssueCommentPayload {Action, Issue, Comment, Repository, Sender, IsPull}; convert.ToAPIIssue leaves
 * `pull_request` null for an issue.
 */
export function plainIssueCommentEvent(
  comment: Json,
  issue: { id: number; number: number; title: string; body: string; user: Json; createdAt: string },
  repository: Json,
  sender: Json,
): GiteaEvent {
  const fixture = fixtureJson<Json>('gitea/issue_comment.on_pr.created.json');
  const { pull_request: _pull, ...rest } = fixture;
  void _pull;
  return {
    event: 'issue_comment',
    eventType: 'issue_comment',
    payload: {
      ...rest,
      action: 'created',
      issue: {
        ...(fixture.issue as Json),
        id: issue.id,
        url: `${String(repository.url)}/issues/${issue.number}`,
        html_url: `${String(repository.html_url)}/issues/${issue.number}`,
        number: issue.number,
        user: issue.user,
        title: issue.title,
        body: issue.body,
        state: 'open',
        pull_request: null,
        created_at: issue.createdAt,
        updated_at: issue.createdAt,
        repository: {
          id: repository.id,
          name: repository.name,
          owner: (repository.owner as Json).login,
          full_name: repository.full_name,
        },
      },
      comment: { ...(fixture.comment as Json), ...comment },
      repository: { ...(fixture.repository as Json), ...repository },
      sender: { ...(fixture.sender as Json), ...sender },
      is_pull: false,
    },
  };
}

/** A comment on a PR: `issue_comment` with `is_pull: true`; since 1.23 the PR itself rides along. */
export function issueCommentEvent(
  action: 'created' | 'edited' | 'deleted',
  comment: Json,
  pull: Json,
  repository: Json,
  sender: Json,
  previousBody?: string,
): GiteaEvent {
  const fixture = fixtureJson<Json>('gitea/issue_comment.on_pr.created.json');
  const issue = fixture.issue as Json;
  return {
    event: 'issue_comment',
    eventType: 'pull_request_comment',
    payload: {
      ...fixture,
      action,
      issue: {
        ...issue,
        id: pull.id,
        url: `${String(repository.url)}/issues/${String(pull.number)}`,
        html_url: pull.html_url,
        number: pull.number,
        user: pull.user,
        title: pull.title,
        body: pull.body,
        state: pull.state,
        pull_request: { merged: pull.merged, merged_at: pull.merged_at },
        repository: {
          id: repository.id,
          name: repository.name,
          owner: (repository.owner as Json).login,
          full_name: repository.full_name,
        },
      },
      pull_request: pull,
      comment: { ...(fixture.comment as Json), ...comment },
      repository: { ...(fixture.repository as Json), ...repository },
      sender: { ...(fixture.sender as Json), ...sender },
      is_pull: true,
      ...(previousBody === undefined ? {} : { changes: { body: { from: previousBody } } }),
    },
  };
}

const REVIEW_EVENTS = {
  APPROVED: ['pull_request_approved', 'pull_request_review_approved'],
  REQUEST_CHANGES: ['pull_request_rejected', 'pull_request_review_rejected'],
  COMMENT: ['pull_request_comment', 'pull_request_review_comment'],
} as const;

/** A submitted review: action `reviewed`, `review: {type, content}`; the event names the verdict. */
export function reviewEvent(
  state: keyof typeof REVIEW_EVENTS,
  content: string,
  pull: Json,
  repository: Json,
  sender: Json,
): GiteaEvent {
  const fixture = fixtureJson<Json>('gitea/pull_request_review_approved.json');
  const [event, eventType] = REVIEW_EVENTS[state];
  return {
    event,
    eventType,
    payload: {
      ...fixture,
      action: 'reviewed',
      number: pull.number,
      pull_request: { ...(fixture.pull_request as Json), ...pull },
      repository: { ...(fixture.repository as Json), ...repository },
      sender: { ...(fixture.sender as Json), ...sender },
      commit_id: '',
      review: { type: eventType, content },
    },
  };
}

/** The headers of a Gitea delivery (services/webhook/deliver.go), signed with the hook's secret. */
export function giteaDeliveryHeaders(
  event: GiteaEvent,
  body: string,
  secret: string,
): Record<string, string> {
  const id = randomUUID();
  const sha256 = secret === '' ? '' : createHmac('sha256', secret).update(body).digest('hex');
  const sha1 = secret === '' ? '' : createHmac('sha1', secret).update(body).digest('hex');
  return {
    'content-type': 'application/json',
    'user-agent': 'GiteaServer',
    'x-gitea-delivery': id,
    'x-gogs-delivery': id,
    'x-github-delivery': id,
    'x-gitea-event': event.event,
    'x-gogs-event': event.event,
    'x-github-event': event.event,
    'x-gitea-event-type': event.eventType,
    'x-gogs-event-type': event.eventType,
    'x-github-event-type': event.eventType,
    'x-gitea-signature': sha256,
    'x-gogs-signature': sha256,
    'x-hub-signature': sha1 === '' ? '' : `sha1=${sha1}`,
    'x-hub-signature-256': sha256 === '' ? '' : `sha256=${sha256}`,
  };
}

/** Whether a hook subscribed to `events` gets this event (a hook may name the coarse event or the finer type). */
export function hookWants(events: readonly string[], event: GiteaEvent): boolean {
  if (events.includes('*')) return true;
  if (events.includes(event.eventType) || events.includes(event.event)) return true;
  // Gitea's hook event `pull_request_review` covers approved, rejected and comment reviews.
  return event.eventType.startsWith('pull_request_review') && events.includes('pull_request_review');
}
