import { z } from 'zod';

/**
 * Normalized domain events: what every source (Harbor, registry, Gitea, GitHub) is turned into at the edge.
 * Nothing past `http/` sees a vendor payload.
 */

export const ScmKind = z.enum(['gitea', 'github']);
export type ScmKind = z.infer<typeof ScmKind>;

export const Source = z.enum(['harbor', 'registry', 'gitea', 'github', 'argocd']);
export type Source = z.infer<typeof Source>;

export const RepoRef = z.object({
  owner: z.string().min(1),
  name: z.string().min(1),
  /** `owner/name` */
  fullName: z.string().min(1),
});
export type RepoRef = z.infer<typeof RepoRef>;

export const Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'a sha256 digest');

/** An image was pushed with a tag. Harbor's digest-only pushes never become this event. */
export const ImagePushed = z.object({
  type: z.literal('ImagePushed'),
  source: z.enum(['harbor', 'registry']),
  /** Registry host as clients pull from it, e.g. `harbor.example.com`. */
  registry: z.string().min(1),
  /** Harbor project, or the first path segment for a plain registry. */
  project: z.string().min(1),
  /** Full repository path below the registry, e.g. `bootcamp/chat-ui` (nested paths keep their slashes). */
  repository: z.string().min(1),
  tag: z.string().min(1),
  digest: z.string().min(1).optional(),
  /** When the sender says the push happened (ISO 8601). Orders events so an older one never wins. */
  occurredAt: z.iso.datetime({ offset: true }),
});
export type ImagePushed = z.infer<typeof ImagePushed>;

export const PushReceived = z.object({
  type: z.literal('PushReceived'),
  scm: ScmKind,
  repo: RepoRef,
  /** Full ref, e.g. `refs/heads/main`. */
  ref: z.string().min(1),
  before: z.string(),
  after: z.string(),
  pusher: z.string(),
  /** Commit ids and messages as the sender listed them (Gitea lists at most 5). */
  commits: z.array(z.object({ id: z.string(), message: z.string() })),
});
export type PushReceived = z.infer<typeof PushReceived>;

export const PullRequestChanged = z.object({
  type: z.literal('PullRequestChanged'),
  scm: ScmKind,
  action: z.enum(['opened', 'synchronized', 'closed', 'reopened']),
  repo: RepoRef,
  number: z.number().int().positive(),
  merged: z.boolean(),
  mergeCommitSha: z.string().nullable(),
  headRef: z.string(),
  headSha: z.string(),
  baseRef: z.string(),
  author: z.string(),
  sender: z.string(),
  title: z.string(),
  body: z.string(),
});
export type PullRequestChanged = z.infer<typeof PullRequestChanged>;

export const CommentCreated = z.object({
  type: z.literal('CommentCreated'),
  scm: ScmKind,
  repo: RepoRef,
  /** Issue or PR number the comment is on. */
  number: z.number().int().positive(),
  isPullRequest: z.boolean(),
  commentId: z.number().int().positive(),
  body: z.string(),
  author: z.string(),
  /** True when the sender marks the author as a bot account. */
  authorIsBot: z.boolean(),
  /**
   * When the host says the comment was written (`created_at`): an `/approve` counts only for a head written before
   * it. Absent, an `/approve` is refused where that is checked.
   */
  createdAt: z.string().optional(),
});
export type CommentCreated = z.infer<typeof CommentCreated>;

export const ReviewSubmitted = z.object({
  type: z.literal('ReviewSubmitted'),
  scm: ScmKind,
  repo: RepoRef,
  number: z.number().int().positive(),
  state: z.enum(['approved', 'rejected', 'commented']),
  reviewer: z.string(),
  /** The head commit reviewed, when the sender says. */
  commitId: z.string().nullable(),
  body: z.string(),
});
export type ReviewSubmitted = z.infer<typeof ReviewSubmitted>;

/**
 * Argo CD (argocd-notifications) says an Application changed. A hint to look again, never state: whoever verifies
 * asks Argo CD itself, so a forged or stale notification can only cause one more look.
 */
export const RolloutObserved = z.object({
  type: z.literal('RolloutObserved'),
  source: z.literal('argocd'),
  application: z.string().min(1),
  appNamespace: z.string().min(1).optional(),
  /** What the notification said, for logs only. */
  revision: z.string().optional(),
});
export type RolloutObserved = z.infer<typeof RolloutObserved>;

export const DomainEvent = z.discriminatedUnion('type', [
  ImagePushed,
  PushReceived,
  PullRequestChanged,
  CommentCreated,
  ReviewSubmitted,
  RolloutObserved,
]);
export type DomainEvent = z.infer<typeof DomainEvent>;
export type DomainEventType = DomainEvent['type'];
