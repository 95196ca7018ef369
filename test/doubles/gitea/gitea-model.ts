/** The Gitea double's state, and how Gitea renders it (services/convert/). */

export type AccessLevel = 'read' | 'write' | 'admin';

export interface DoubleUser {
  id: number;
  login: string;
  email: string;
  token: string;
  /** Token scopes, e.g. `write:repository`; `all` grants every one. */
  scopes: string[];
  /** A site administrator passes every route guard (`ctx.IsUserSiteAdmin()` in routers/api/v1/api.go). */
  siteAdmin: boolean;
}

export interface DoubleRepo {
  id: number;
  owner: string;
  name: string;
  bare: string;
  defaultBranch: string;
  access: Map<string, AccessLevel>;
}

export interface DoublePull {
  id: number;
  index: number;
  repo: DoubleRepo;
  title: string;
  body: string;
  head: string;
  base: string;
  headSha: string;
  mergeBase: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string | null;
  mergedBy: DoubleUser | null;
  mergedAt: string | null;
  closedAt: string | null;
  author: DoubleUser;
  createdAt: string;
  updatedAt: string;
  /** While true, merging answers 405 "Please try again later", as Gitea does while it checks mergeability. */
  checking: boolean;
  /** Known to conflict with its base (Gitea refuses the merge with 405 before trying). */
  conflicted: boolean;
}

export interface DoubleComment {
  id: number;
  repo: DoubleRepo;
  index: number;
  author: DoubleUser;
  body: string;
  createdAt: string;
  updatedAt: string;
  reactions: { user: DoubleUser; content: string; createdAt: string }[];
}

export type ReviewState = 'APPROVED' | 'REQUEST_CHANGES' | 'COMMENT';

export interface DoubleReview {
  id: number;
  repo: DoubleRepo;
  index: number;
  reviewer: DoubleUser;
  state: ReviewState;
  body: string;
  commitId: string;
  submittedAt: string;
  dismissed: boolean;
}

export interface DoubleStatus {
  id: number;
  repo: DoubleRepo;
  sha: string;
  context: string;
  state: string;
  description: string;
  targetUrl: string;
  creator: DoubleUser;
  createdAt: string;
}

export interface DoubleHook {
  id: number;
  repo: DoubleRepo;
  type: string;
  config: Record<string, string>;
  events: string[];
  active: boolean;
  branchFilter: string;
  createdAt: string;
  updatedAt: string;
}

export interface DoubleTeam {
  id: number;
  org: string;
  name: string;
  members: Set<string>;
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Renders Gitea objects with the double's base URL. */
export function createRenderer(baseUrl: string) {
  const user = (u: DoubleUser) => ({
    id: u.id,
    login: u.login,
    login_name: '',
    source_id: 0,
    full_name: '',
    email: u.email,
    avatar_url: `${baseUrl}/avatars/${u.id}`,
    html_url: `${baseUrl}/${u.login}`,
    language: '',
    is_admin: u.siteAdmin,
    last_login: '0001-01-01T00:00:00Z',
    created: '2024-01-01T00:00:00Z',
    restricted: false,
    active: true,
    prohibit_login: false,
    location: '',
    website: '',
    description: '',
    visibility: 'public',
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
    username: u.login,
  });

  const ownerUser = (login: string) =>
    user({
      id: 1000 + login.length,
      login,
      email: `${login}@noreply.example.test`,
      token: '',
      scopes: [],
      siteAdmin: false,
    });

  const repo = (r: DoubleRepo, viewer?: AccessLevel) => ({
    id: r.id,
    owner: ownerUser(r.owner),
    name: r.name,
    full_name: `${r.owner}/${r.name}`,
    description: '',
    empty: false,
    private: true,
    fork: false,
    template: false,
    parent: null,
    mirror: false,
    size: 1,
    language: '',
    languages_url: `${baseUrl}/api/v1/repos/${r.owner}/${r.name}/languages`,
    html_url: `${baseUrl}/${r.owner}/${r.name}`,
    url: `${baseUrl}/api/v1/repos/${r.owner}/${r.name}`,
    link: '',
    // Gitea writes the ssh:// form when its SSH port is not 22; the scp-like form would not match `format: uri`.
    ssh_url: `ssh://git@localhost:2222/${r.owner}/${r.name}.git`,
    clone_url: `${baseUrl}/${r.owner}/${r.name}.git`,
    original_url: '',
    website: '',
    stars_count: 0,
    forks_count: 0,
    watchers_count: 1,
    open_issues_count: 0,
    open_pr_counter: 0,
    release_counter: 0,
    default_branch: r.defaultBranch,
    archived: false,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    archived_at: '1970-01-01T00:00:00Z',
    permissions: {
      admin: viewer === 'admin',
      push: viewer === 'admin' || viewer === 'write',
      pull: viewer !== undefined,
    },
    has_issues: true,
    internal_tracker: {
      enable_time_tracker: false,
      allow_only_contributors_to_track_time: true,
      enable_issue_dependencies: true,
    },
    has_wiki: false,
    has_pull_requests: true,
    has_projects: false,
    has_releases: false,
    has_packages: false,
    has_actions: false,
    ignore_whitespace_conflicts: false,
    allow_merge_commits: true,
    allow_rebase: true,
    allow_rebase_explicit: true,
    allow_squash_merge: true,
    allow_fast_forward_only_merge: true,
    allow_rebase_update: true,
    default_delete_branch_after_merge: false,
    default_merge_style: 'merge',
    default_allow_maintainer_edit: false,
    avatar_url: `${baseUrl}/repo-avatars/${r.id}`,
    internal: false,
    mirror_interval: '',
    object_format_name: 'sha1',
    topics: [],
    licenses: [],
  });

  const branchInfo = (r: DoubleRepo, ref: string, sha: string) => ({
    label: ref,
    ref,
    sha,
    repo_id: r.id,
    repo: repo(r),
  });

  const pull = (p: DoublePull, baseSha: string) => ({
    id: p.id,
    url: `${baseUrl}/${p.repo.owner}/${p.repo.name}/pulls/${p.index}`,
    number: p.index,
    user: user(p.author),
    title: p.title,
    body: p.body,
    labels: [],
    milestone: null,
    assignee: null,
    assignees: null,
    requested_reviewers: null,
    requested_reviewers_teams: null,
    state: p.state,
    draft: false,
    is_locked: false,
    comments: 0,
    review_comments: 0,
    html_url: `${baseUrl}/${p.repo.owner}/${p.repo.name}/pulls/${p.index}`,
    diff_url: `${baseUrl}/${p.repo.owner}/${p.repo.name}/pulls/${p.index}.diff`,
    patch_url: `${baseUrl}/${p.repo.owner}/${p.repo.name}/pulls/${p.index}.patch`,
    mergeable: p.state === 'open' && !p.checking && !p.conflicted,
    merged: p.merged,
    merged_at: p.mergedAt,
    merge_commit_sha: p.mergeCommitSha,
    merged_by: p.mergedBy ? user(p.mergedBy) : null,
    allow_maintainer_edit: false,
    base: branchInfo(p.repo, p.base, baseSha),
    head: branchInfo(p.repo, p.head, p.headSha),
    merge_base: p.mergeBase,
    due_date: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.closedAt,
    pin_order: 0,
  });

  /**
   * models/issues/comment.go `IssueURL`/`PRURL`: the web URL of the issue or PR, each "" on the other kind (the
   * fixture issue_comment.on_pr.created.json shows `"issue_url": ""` on a PR comment). `isPull` unless told.
   */
  const comment = (c: DoubleComment, isPull = true) => ({
    id: c.id,
    html_url: `${baseUrl}/${c.repo.owner}/${c.repo.name}/${isPull ? 'pulls' : 'issues'}/${c.index}#issuecomment-${c.id}`,
    pull_request_url: isPull ? `${baseUrl}/${c.repo.owner}/${c.repo.name}/pulls/${c.index}` : '',
    issue_url: isPull ? '' : `${baseUrl}/${c.repo.owner}/${c.repo.name}/issues/${c.index}`,
    user: user(c.author),
    original_author: '',
    original_author_id: 0,
    body: c.body,
    assets: [],
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  });

  const review = (r: DoubleReview) => ({
    id: r.id,
    user: user(r.reviewer),
    team: null,
    state: r.state,
    body: r.body,
    commit_id: r.commitId,
    stale: false,
    official: r.state === 'APPROVED',
    dismissed: r.dismissed,
    comments_count: 0,
    submitted_at: r.submittedAt,
    updated_at: r.submittedAt,
    html_url: `${baseUrl}/${r.repo.owner}/${r.repo.name}/pulls/${r.index}#issuecomment-${r.id}`,
    pull_request_url: `${baseUrl}/${r.repo.owner}/${r.repo.name}/pulls/${r.index}`,
  });

  const status = (s: DoubleStatus) => ({
    id: s.id,
    status: s.state,
    target_url: s.targetUrl,
    description: s.description,
    url: `${baseUrl}/api/v1/repos/${s.repo.owner}/${s.repo.name}/statuses/${s.sha}`,
    context: s.context,
    creator: user(s.creator),
    created_at: s.createdAt,
    updated_at: s.createdAt,
  });

  const hook = (h: DoubleHook) => ({
    id: h.id,
    type: h.type,
    branch_filter: h.branchFilter,
    config: h.config,
    events: h.events,
    authorization_header: '',
    active: h.active,
    updated_at: h.updatedAt,
    created_at: h.createdAt,
  });

  const team = (t: DoubleTeam) => ({
    id: t.id,
    name: t.name,
    description: '',
    organization: null,
    includes_all_repositories: false,
    permission: 'write',
    units: ['repo.code', 'repo.pulls'],
    units_map: { 'repo.code': 'write', 'repo.pulls': 'write' },
    can_create_org_repo: false,
  });

  const reaction = (r: { user: DoubleUser; content: string; createdAt: string }) => ({
    user: user(r.user),
    content: r.content,
    created_at: r.createdAt,
  });

  return { user, repo, pull, comment, review, status, hook, team, reaction };
}

export type Renderer = ReturnType<typeof createRenderer>;
