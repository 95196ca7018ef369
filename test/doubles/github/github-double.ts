import {
  createHmac,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  verify,
  type KeyObject,
} from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { branchSha, commitsBetween, deleteBranch, mergeIntoBranch, wouldConflict } from '../bare-git.js';
import { deliverWebhook, type Delivery } from '../deliver-webhook.js';
import { createContract, type MatchedOperation, type OpenApiDocument } from '../openapi-contract.js';
import { basicCredentials, serveGit, type BranchRule } from '../serve-git.js';
import {
  canSeeTeam,
  checkToken,
  grants,
  heldBy,
  type FineLevel,
  type FinePermission,
  type OrgRole,
  type TeamPrivacy,
  type TokenKind,
} from './access.js';

const run = promisify(execFile);
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

type Json = Record<string, unknown>;
export type GitHubAccess = 'read' | 'triage' | 'write' | 'maintain' | 'admin';

export interface GitHubUser {
  id: number;
  login: string;
  token: string;
  /** Classic token scopes: `repo` for repositories, `read:org` for team membership; empty for a fine-grained one. */
  scopes: string[];
  /** What the token is: classic (scopes, sent back in `X-OAuth-Scopes`) or fine-grained (one owner, permissions). */
  tokenKind: TokenKind;
  /** Set for the `<slug>[bot]` identity of a GitHub App installation (its tokens act with the App's permissions). */
  installation?: { appId: number; account: string };
}

/** A GitHub App registered on the double: its id and the private key (PEM) promobot signs its JWTs with. */
export interface GitHubApp {
  id: number;
  slug: string;
  privateKey: string;
  /** Installation id per account the App is installed on. */
  installations: Record<string, number>;
}

/**
 * Branch protection (classic) or a ruleset on a branch; merging through it answers 405 with GitHub's reason.
 * Messages as GitHub sends them (field reports: https://github.com/Reviewable/Reviewable/issues/561,
 * https://github.com/PennyDreadfulMTG/Penny-Dreadful-Tools/issues/6226, https://github.com/akuity/kargo/issues/6397;
 * docs: https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches
 * and .../managing-rulesets/about-rulesets).
 */
export interface GitHubProtection {
  /** Approving reviews by users with write access that a merge needs. */
  requiredApprovingReviews?: number;
  /** Status contexts that must be `success` on the head. */
  requiredStatusChecks?: string[];
  /** A ruleset rather than classic protection: its refusals start with "Repository rule violations found". */
  ruleset?: boolean;
  /** Logins on the ruleset's bypass list (rulesets only). */
  bypass?: string[];
  /** Classic protection: whether it binds admins too ("Do not allow bypassing"); otherwise admins merge anyway. */
  enforceAdmins?: boolean;
}

interface Repo {
  id: number;
  owner: string;
  name: string;
  bare: string;
  defaultBranch: string;
  access: Map<string, GitHubAccess>;
  refs: Map<string, string>;
}

export interface GitHubPull {
  id: number;
  number: number;
  repo: Repo;
  title: string;
  body: string;
  head: string;
  base: string;
  headSha: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string | null;
  mergedBy: GitHubUser | null;
  mergedAt: string | null;
  closedAt: string | null;
  author: GitHubUser;
  createdAt: string;
  updatedAt: string;
  /** While true GitHub is still computing mergeability: `mergeable: null`, and merging answers 405. */
  checking: boolean;
}

interface IssueComment {
  id: number;
  repo: Repo;
  number: number;
  author: GitHubUser;
  body: string;
  createdAt: string;
  updatedAt: string;
  reactions: { id: number; user: GitHubUser; content: string; createdAt: string }[];
}

interface PullReview {
  id: number;
  repo: Repo;
  number: number;
  reviewer: GitHubUser;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
  body: string;
  commitId: string;
  submittedAt: string;
}

interface CommitStatus {
  id: number;
  repo: Repo;
  sha: string;
  context: string;
  state: string;
  description: string | null;
  targetUrl: string | null;
  creator: GitHubUser;
  createdAt: string;
}

interface Hook {
  id: number;
  repo: Repo;
  config: Json;
  events: string[];
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface GitHubFaultRule {
  method?: string;
  path?: string | RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  times?: number;
}

export interface GitHubDouble {
  /** REST base URL for octokit (`baseUrl`); bare repos are served over git HTTP at `/{owner}/{name}.git`. */
  readonly url: string;
  readonly violations: string[];
  readonly answerProblems: string[];
  readonly requests: { method: string; path: string; status: number }[];
  readonly deliveries: Delivery[];
  /**
   * A user and their token: classic (`scopes`, default `repo`, `read:org`) or fine-grained (`fineGrained`: the one
   * resource owner it reaches and its permissions; Metadata: read comes with it).
   */
  addUser(
    login: string,
    options?: {
      scopes?: string[];
      token?: string;
      fineGrained?: { owner: string; permissions: Partial<Record<FinePermission, FineLevel>> };
    },
  ): GitHubUser;
  /** Makes `login` a member (or owner: `admin`) of the organization `org`; owners have admin on its repos. */
  addOrgMember(org: string, login: string, role?: OrgRole): void;
  addRepo(options: {
    owner: string;
    name: string;
    bare: string;
    defaultBranch?: string;
    access?: Record<string, GitHubAccess>;
  }): Promise<void>;
  setAccess(fullName: string, login: string, level: GitHubAccess | 'none'): void;
  /**
   * A team of `org`; active members become members of the organization. `privacy` defaults to `secret`, GitHub's
   * default for a team created through the API: only org owners and the team's members see it.
   */
  addTeam(
    org: string,
    slug: string,
    members: string[],
    pending?: string[],
    options?: { privacy?: TeamPrivacy },
  ): void;
  setTeamPrivacy(org: string, slug: string, privacy: TeamPrivacy): void;
  /** Protects `branch` of the repo (classic protection, or a ruleset with `ruleset: true`); `null` lifts it. */
  protectBranch(fullName: string, branch: string, protection: GitHubProtection | null): void;
  /** The commit statuses set on `sha`, oldest first. */
  statuses(fullName: string, sha: string): { context: string; state: string }[];
  /** The comments on issue or PR `number`, oldest first, as stored (edits included). */
  comments(
    fullName: string,
    number: number,
  ): { id: number; author: GitHubUser; body: string; reactions: { user: GitHubUser; content: string }[] }[];
  /** The rulesets made through the API on the repo, as sent. */
  rulesets(fullName: string): Json[];
  /**
   * The primary rate limit of `login`'s token: `remaining` calls until `resetInSeconds` from now, then 5000 again.
   * At 0 GitHub answers 403 (or 429) with `x-ratelimit-remaining: 0` and the reset time.
   */
  limitRate(login: string, limit: { remaining: number; resetInSeconds: number; status?: 403 | 429 }): void;
  /**
   * A GitHub App installed on `account` (an org) with `permissions` for all its repositories. It authenticates
   * with an RS256 JWT signed by its private key (`GET /app`, `POST /app/installations/{id}/access_tokens`), and
   * acts as `<slug>[bot]` with installation tokens that expire after `tokenTtlSeconds` (GitHub: one hour).
   */
  addApp(options: {
    slug: string;
    account: string;
    permissions: Partial<Record<FinePermission, FineLevel>>;
    tokenTtlSeconds?: number;
  }): GitHubApp;
  /** Every installation token issued so far expires now (as an hour passing would do). */
  expireInstallationTokens(): void;
  /** The next `times` calls of `login` hit a secondary rate limit: 403 or 429 with `retry-after`. */
  secondaryRateLimit(
    login: string,
    limit: { retryAfterSeconds: number; times?: number; status?: 403 | 429 },
  ): void;
  openPullRequest(
    fullName: string,
    pr: { author: string; head: string; base: string; title: string; body?: string },
  ): Promise<GitHubPull>;
  comment(fullName: string, number: number, author: string, body: string): Promise<{ id: number }>;
  review(
    fullName: string,
    number: number,
    reviewer: string,
    state: PullReview['state'],
    body?: string,
  ): Promise<{ id: number }>;
  /** Merges a PR as `user` through the UI (the same checks and webhooks as the API); answers the HTTP status. */
  merge(fullName: string, number: number, user: string, method?: 'merge' | 'squash'): Promise<number>;
  syncRefs(): Promise<void>;
  holdMergeCheck(fullName: string, number: number, held: boolean): void;
  pull(fullName: string, number: number): GitHubPull | undefined;
  pulls(fullName: string): GitHubPull[];
  failNext(rule: GitHubFaultRule): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface GitHubDoubleOptions {
  webhook?: { url: string; secret: string };
}

class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown = undefined,
    readonly headers: Record<string, string> = {},
  ) {}
}

const DOCS = 'https://docs.github.com/rest';
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const fail = (status: number, message: string, extra: Json = {}, headers: Record<string, string> = {}) =>
  new Answer(status, { message, documentation_url: DOCS, status: String(status), ...extra }, headers);
const notFound = () => fail(404, 'Not Found');

function loadDocument(): OpenApiDocument {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@octokit/openapi/generated/api.github.com.json');
  return JSON.parse(readFileSync(path, 'utf8')) as OpenApiDocument;
}

/**
 * A stateful api.github.com on a free port: the REST endpoints promobot uses, every request checked against
 * `@octokit/openapi` (api.github.com), answers built on the description's own examples, pull requests on real bare
 * git repos, and webhooks with GitHub's headers (`X-GitHub-Event`, `X-GitHub-Delivery`, `X-Hub-Signature-256`).
 */
export async function startGitHubDouble(options: GitHubDoubleOptions = {}): Promise<GitHubDouble> {
  const document = loadDocument();
  const contract = createContract(document);
  const examples = (document.components?.examples ?? {}) as Record<string, { value: unknown }>;
  const example = (name: string, index?: number): Json => {
    const value = structuredClone(examples[name]?.value);
    return (index === undefined ? value : (value as unknown[])[index]) as Json;
  };

  const violations: string[] = [];
  const answerProblems: string[] = [];
  const requests: GitHubDouble['requests'] = [];
  const deliveries: Delivery[] = [];
  const pending = new Set<Promise<void>>();
  const faults: (GitHubFaultRule & { left: number })[] = [];
  const users = new Map<string, GitHubUser>();
  const repos = new Map<string, Repo>();
  const pulls: GitHubPull[] = [];
  const comments: IssueComment[] = [];
  const reviews: PullReview[] = [];
  const statuses: CommitStatus[] = [];
  const hooks: Hook[] = [];
  const teams: {
    id: number;
    org: string;
    slug: string;
    privacy: TeamPrivacy;
    members: Set<string>;
    pending: Set<string>;
  }[] = [];
  const orgs = new Map<string, Map<string, OrgRole>>();
  const protections = new Map<string, GitHubProtection>();
  /** Repository rulesets made through the API (`/repos/{o}/{r}/rulesets`), as GitHub stores them. */
  const rulesets: { id: number; repo: Repo; body: Json; createdAt: string; updatedAt: string }[] = [];
  const rates = new Map<string, { remaining: number; resetAt: number; status: 403 | 429 }>();
  const secondary = new Map<string, { retryAfter: number; left: number; status: 403 | 429 }>();
  const apps: {
    id: number;
    slug: string;
    publicKey: KeyObject;
    ttl: number;
    account: string;
    installationId: number;
    permissions: Partial<Record<FinePermission, FineLevel>>;
    bot: GitHubUser;
  }[] = [];
  const installationTokens = new Map<string, { user: GitHubUser; expiresAt: number }>();
  const ids = {
    user: 1,
    repo: 100,
    pull: 1000,
    comment: 5000,
    status: 9000,
    hook: 1,
    reaction: 1,
    team: 1,
    app: 300,
    installation: 7000,
    ruleset: 42000,
  };
  const numbers = new Map<Repo, number>();
  let baseUrl = '';
  let queue: Promise<unknown> = Promise.resolve();

  const repoOf = (fullName: string) => {
    const repo = repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`no repo ${fullName} in the GitHub double`);
    return repo;
  };
  const userOf = (login: string) => {
    const user = users.get(login.toLowerCase());
    if (!user) throw new Error(`no user ${login} in the GitHub double`);
    return user;
  };
  const orgRole = (org: string, login: string): OrgRole | undefined =>
    orgs.get(org.toLowerCase())?.get(login.toLowerCase());
  // Organization owners have admin on every repository of the organization.
  // An App installation reaches every repository of its account; its permissions decide what it may do there.
  const accessOf = (repo: Repo, user: GitHubUser): GitHubAccess | undefined =>
    user.installation
      ? user.installation.account.toLowerCase() === repo.owner.toLowerCase()
        ? 'write'
        : undefined
      : user.login.toLowerCase() === repo.owner.toLowerCase() || orgRole(repo.owner, user.login) === 'admin'
        ? 'admin'
        : repo.access.get(user.login.toLowerCase());
  const canWrite = (level: GitHubAccess | undefined) =>
    level === 'write' || level === 'maintain' || level === 'admin';
  /** Whether `user` is on the bypass list of a ruleset (User by id, Integration by App id, RepositoryRole 5: admin). */
  const bypasses = (set: Json, repo: Repo, user: GitHubUser): boolean =>
    ((set.bypass_actors ?? []) as Json[]).some((actor) => {
      if (actor.actor_type === 'User') return actor.actor_id === user.id;
      if (actor.actor_type === 'Integration') return actor.actor_id === user.installation?.appId;
      if (actor.actor_type === 'RepositoryRole')
        return actor.actor_id === 5 && accessOf(repo, user) === 'admin';
      return false;
    });
  /** The active branch rulesets of `repo` whose ref_name condition covers `branch` (exact refs and ~DEFAULT_BRANCH). */
  const rulesetsOn = (repo: Repo, branch: string): Json[] =>
    rulesets
      .filter(
        (r) => r.repo === repo && r.body.enforcement === 'active' && (r.body.target ?? 'branch') === 'branch',
      )
      .map((r) => r.body)
      .filter((body) => {
        const ref = ((body.conditions as Json | undefined)?.ref_name ?? {}) as {
          include?: string[];
          exclude?: string[];
        };
        const names = (list: string[] | undefined) =>
          (list ?? []).map((n) => (n === '~DEFAULT_BRANCH' ? `refs/heads/${repo.defaultBranch}` : n));
        const full = `refs/heads/${branch}`;
        return names(ref.include).includes(full) || ref.include?.includes('~ALL') === true
          ? !names(ref.exclude).includes(full)
          : false;
      });
  const rulesOf = (set: Json, type: string): Json[] =>
    ((set.rules ?? []) as Json[]).filter((rule) => rule.type === type);
  /**
   * What the rulesets on `branch` ask of a change by `user` that does not bypass them: the status contexts that must
   * be green, and whether changes must come through a pull request.
   */
  const rulesetNeeds = (repo: Repo, branch: string, user: GitHubUser) => {
    const contexts: string[] = [];
    let pullRequest = false;
    for (const set of rulesetsOn(repo, branch)) {
      if (bypasses(set, repo, user)) continue;
      if (rulesOf(set, 'pull_request').length > 0) pullRequest = true;
      for (const rule of rulesOf(set, 'required_status_checks'))
        for (const check of ((rule.parameters as Json | undefined)?.required_status_checks ?? []) as Json[])
          contexts.push(String(check.context));
    }
    return { contexts, pullRequest };
  };
  /**
   * The branches a push by `user` may not update, with GitHub's refusal (GH013, "Repository rule violations found",
   * docs.github.com .../managing-rulesets/about-rulesets; field reports in the issues cited at GitHubProtection): a
   * ruleset's pull_request rule refuses every direct push, its required status checks one whose commit lacks them.
   * A pushed commit never carries the statuses here, so required checks refuse it too.
   */
  const refusedPushes = (repo: Repo, user: GitHubUser): Map<string, string> => {
    const refused = new Map<string, string>();
    const branches = new Set<string>();
    for (const r of rulesets.filter((x) => x.repo === repo)) {
      const ref = ((r.body.conditions as Json | undefined)?.ref_name ?? {}) as { include?: string[] };
      for (const name of ref.include ?? [])
        branches.add(name === '~DEFAULT_BRANCH' ? repo.defaultBranch : name.replace(/^refs\/heads\//, ''));
    }
    for (const branch of branches) {
      const needs = rulesetNeeds(repo, branch, user);
      const lines = [
        ...(needs.pullRequest ? ['- Changes must be made through a pull request.'] : []),
        ...needs.contexts.map((c) => `- Required status check "${c}" is expected.`),
      ];
      if (lines.length > 0)
        refused.set(
          branch,
          `error: GH013: Repository rule violations found for refs/heads/${branch}.\n${lines.join('\n')}`,
        );
    }
    return refused;
  };

  /**
   * The branches on which a push by `user` may not rewrite history: a ruleset's `non_fast_forward` rule ("Block force
   * pushes: prevent users with push access from force pushing to refs", docs.github.com .../available-rules-for-
   * rulesets; REST RepositoryRuleNonFastForward) binds everyone not on its bypass list. GitHub's refusal is GH013
   * with "- Cannot force-push to this branch" (the wording users report; the docs do not print it).
   */
  const forcePushRules = (repo: Repo, user: GitHubUser): BranchRule[] => {
    const branches = new Set<string>();
    for (const r of rulesets.filter((x) => x.repo === repo)) {
      const ref = ((r.body.conditions as Json | undefined)?.ref_name ?? {}) as { include?: string[] };
      for (const name of ref.include ?? [])
        branches.add(name === '~DEFAULT_BRANCH' ? repo.defaultBranch : name.replace(/^refs\/heads\//, ''));
    }
    return [...branches]
      .filter((branch) =>
        rulesetsOn(repo, branch).some(
          (set) => rulesOf(set, 'non_fast_forward').length > 0 && !bypasses(set, repo, user),
        ),
      )
      .map((branch) => ({
        pattern: `^${branch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`,
        forcePush: `error: GH013: Repository rule violations found for refs/heads/{branch}.\n- Cannot force-push to this branch`,
      }));
  };

  // --- rendering, on the description's examples -------------------------------------------------------------
  const renderUser = (u: GitHubUser): Json => ({
    ...example('simple-user'),
    login: u.login,
    id: u.id,
    node_id: `U_${u.id}`,
    // App logins (`promobot[bot]`) are escaped in URLs, as GitHub does.
    avatar_url: `${baseUrl}/avatars/${encodeURIComponent(u.login)}`,
    url: `${baseUrl}/users/${encodeURIComponent(u.login)}`,
    html_url: `${baseUrl}/${encodeURIComponent(u.login)}`,
    type: 'User',
    site_admin: false,
  });
  const ownerUser = (login: string): Json => ({
    ...renderUser({ id: 1, login, token: '', scopes: [], tokenKind: { kind: 'classic', scopes: [] } }),
    type: 'Organization',
  });
  const renderRepo = (r: Repo): Json => {
    const template = example('pull-request').base as Json;
    return {
      ...(template.repo as Json),
      id: r.id,
      node_id: `R_${r.id}`,
      name: r.name,
      full_name: `${r.owner}/${r.name}`,
      owner: ownerUser(r.owner),
      private: true,
      html_url: `${baseUrl}/${r.owner}/${r.name}`,
      url: `${baseUrl}/repos/${r.owner}/${r.name}`,
      clone_url: `${baseUrl}/${r.owner}/${r.name}.git`,
      default_branch: r.defaultBranch,
    };
  };
  const branch = (r: Repo, ref: string, sha: string) => ({
    label: `${r.owner}:${ref}`,
    ref,
    sha,
    user: ownerUser(r.owner),
    repo: renderRepo(r),
  });
  const renderPull = async (p: GitHubPull, simple = false): Promise<Json> => {
    const baseSha = (await branchSha(p.repo.bare, p.base)) ?? p.headSha;
    const url = `${baseUrl}/repos/${p.repo.owner}/${p.repo.name}/pulls/${p.number}`;
    const html = `${baseUrl}/${p.repo.owner}/${p.repo.name}/pull/${p.number}`;
    const common = {
      ...(simple ? example('pull-request-simple-items', 0) : example('pull-request')),
      id: p.id,
      node_id: `PR_${p.id}`,
      number: p.number,
      url,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      state: p.state,
      locked: false,
      title: p.title,
      body: p.body === '' ? null : p.body,
      user: renderUser(p.author),
      labels: [],
      milestone: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      closed_at: p.closedAt,
      merged_at: p.mergedAt,
      merge_commit_sha: p.mergeCommitSha,
      head: branch(p.repo, p.head, p.headSha),
      base: branch(p.repo, p.base, baseSha),
      draft: false,
      author_association: 'MEMBER',
      auto_merge: null,
    };
    if (simple) return common;
    const conflicted =
      p.state === 'open' && !p.checking && (await wouldConflict(p.repo.bare, baseSha, p.headSha));
    return {
      ...common,
      merged: p.merged,
      mergeable: p.state !== 'open' ? null : p.checking ? null : !conflicted,
      mergeable_state:
        p.state !== 'open' ? 'unknown' : p.checking ? 'unknown' : conflicted ? 'dirty' : 'clean',
      merged_by: p.mergedBy ? renderUser(p.mergedBy) : null,
      comments: comments.filter((c) => c.repo === p.repo && c.number === p.number).length,
      review_comments: 0,
      commits: 1,
      additions: 1,
      deletions: 1,
      changed_files: 1,
    };
  };
  const renderComment = (c: IssueComment): Json => ({
    ...example('issue-comment'),
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${baseUrl}/repos/${c.repo.owner}/${c.repo.name}/issues/comments/${c.id}`,
    html_url: `${baseUrl}/${c.repo.owner}/${c.repo.name}/pull/${c.number}#issuecomment-${c.id}`,
    issue_url: `${baseUrl}/repos/${c.repo.owner}/${c.repo.name}/issues/${c.number}`,
    body: c.body,
    user: renderUser(c.author),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: 'MEMBER',
  });
  const renderReview = (r: PullReview): Json => ({
    ...example('pull-request-review-items', 0),
    id: r.id,
    node_id: `PRR_${r.id}`,
    user: renderUser(r.reviewer),
    body: r.body,
    state: r.state,
    html_url: `${baseUrl}/${r.repo.owner}/${r.repo.name}/pull/${r.number}#pullrequestreview-${r.id}`,
    pull_request_url: `${baseUrl}/repos/${r.repo.owner}/${r.repo.name}/pulls/${r.number}`,
    submitted_at: r.submittedAt,
    commit_id: r.commitId,
    author_association: 'MEMBER',
  });
  const renderStatus = (s: CommitStatus): Json => ({
    ...example('status'),
    id: s.id,
    node_id: `S_${s.id}`,
    url: `${baseUrl}/repos/${s.repo.owner}/${s.repo.name}/statuses/${s.sha}`,
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    creator: renderUser(s.creator),
  });
  const renderHook = (h: Hook): Json => ({
    ...example('hook'),
    id: h.id,
    name: 'web',
    active: h.active,
    events: h.events,
    config: {
      content_type: 'json',
      insecure_ssl: '0',
      ...h.config,
      ...(h.config.secret ? { secret: '********' } : {}),
    },
    updated_at: h.updatedAt,
    created_at: h.createdAt,
    url: `${baseUrl}/repos/${h.repo.owner}/${h.repo.name}/hooks/${h.id}`,
    test_url: `${baseUrl}/repos/${h.repo.owner}/${h.repo.name}/hooks/${h.id}/test`,
    ping_url: `${baseUrl}/repos/${h.repo.owner}/${h.repo.name}/hooks/${h.id}/pings`,
    deliveries_url: `${baseUrl}/repos/${h.repo.owner}/${h.repo.name}/hooks/${h.id}/deliveries`,
  });

  // --- webhooks -------------------------------------------------------------------------------------------
  function emit(repo: Repo, event: string, payload: Json) {
    const body = JSON.stringify(payload);
    const targets: { url: string; secret: string; hookId: number }[] = [];
    if (options.webhook) targets.push({ ...options.webhook, hookId: 0 });
    for (const h of hooks) {
      if (
        h.repo === repo &&
        h.active &&
        (h.events.includes('*') || h.events.includes(event)) &&
        typeof h.config.url === 'string'
      ) {
        targets.push({
          url: h.config.url,
          secret: typeof h.config.secret === 'string' ? h.config.secret : '',
          hookId: h.id,
        });
      }
    }
    for (const target of targets) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/double',
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-github-hook-id': String(target.hookId),
        'x-github-hook-installation-target-type': 'repository',
        'x-github-hook-installation-target-id': String(repo.id),
      };
      if (target.secret !== '') {
        headers['x-hub-signature'] = `sha1=${createHmac('sha1', target.secret).update(body).digest('hex')}`;
        headers['x-hub-signature-256'] =
          `sha256=${createHmac('sha256', target.secret).update(body).digest('hex')}`;
      }
      const delivery = deliverWebhook(target.url, event, headers, body).then((d) => {
        deliveries.push(d);
      });
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
    }
  }
  const emitPull = async (action: string, p: GitHubPull, sender: GitHubUser, extra: Json = {}) =>
    emit(p.repo, 'pull_request', {
      action,
      number: p.number,
      pull_request: await renderPull(p),
      repository: renderRepo(p.repo),
      sender: renderUser(sender),
      ...extra,
    });
  async function emitPush(repo: Repo, ref: string, before: string | null, after: string, pusher: GitHubUser) {
    const zero = '0'.repeat(40);
    const commits = (await commitsBetween(repo.bare, before, after)).reverse().map((c) => ({
      id: c.id,
      tree_id: c.id,
      distinct: true,
      message: c.message.trimEnd(),
      timestamp: c.timestamp,
      url: `${baseUrl}/${repo.owner}/${repo.name}/commit/${c.id}`,
      author: { ...c.author, username: c.author.name },
      committer: { ...c.author, username: c.author.name },
      added: [],
      removed: [],
      modified: [],
    }));
    emit(repo, 'push', {
      ref: `refs/heads/${ref}`,
      before: before ?? zero,
      after,
      repository: renderRepo(repo),
      pusher: { name: pusher.login, email: `${pusher.login}@users.noreply.example.test` },
      sender: renderUser(pusher),
      created: before === null,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: `${baseUrl}/${repo.owner}/${repo.name}/compare/${(before ?? zero).slice(0, 12)}...${after.slice(0, 12)}`,
      commits,
      head_commit: commits.at(-1) ?? null,
    });
  }

  async function listRefs(repo: Repo) {
    const { stdout } = await run(
      'git',
      ['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads'],
      { cwd: repo.bare, env: GIT_ENV },
    );
    return new Map(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
  }

  async function syncRefs() {
    for (const repo of repos.values()) {
      const current = await listRefs(repo);
      const owner = users.get(repo.owner.toLowerCase()) ?? [...users.values()][0];
      for (const [name, sha] of current) {
        const before = repo.refs.get(name);
        if (before === sha) continue;
        repo.refs.set(name, sha);
        if (owner) await emitPush(repo, name, before ?? null, sha, owner);
        for (const p of pulls) {
          if (p.repo === repo && p.state === 'open' && p.head === name) {
            p.headSha = sha;
            p.updatedAt = now();
            if (owner) await emitPull('synchronize', p, owner, { before: before ?? null, after: sha });
          }
        }
      }
      for (const name of [...repo.refs.keys()]) {
        if (current.has(name)) continue;
        repo.refs.delete(name);
        // GitHub closes the PRs whose head branch is deleted.
        for (const p of pulls)
          if (p.repo === repo && p.state === 'open' && p.head === name)
            Object.assign(p, { state: 'closed', closedAt: now() });
      }
    }
  }

  async function createPull(
    repo: Repo,
    author: GitHubUser,
    head: string,
    base: string,
    title: string,
    body: string,
  ) {
    const headName = head.includes(':') ? head.split(':').slice(1).join(':') : head;
    const headSha = await branchSha(repo.bare, headName);
    if (!headSha || !(await branchSha(repo.bare, base))) {
      return fail(422, 'Validation Failed', {
        errors: [{ resource: 'PullRequest', field: headSha ? 'base' : 'head', code: 'invalid' }],
      });
    }
    if (pulls.some((p) => p.repo === repo && p.state === 'open' && p.head === headName && p.base === base)) {
      return fail(422, 'Validation Failed', {
        errors: [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `A pull request already exists for ${repo.owner}:${headName}.`,
          },
        ],
      });
    }
    const number = (numbers.get(repo) ?? 0) + 1;
    numbers.set(repo, number);
    const at = now();
    const p: GitHubPull = {
      id: ids.pull++,
      number,
      repo,
      title,
      body,
      head: headName,
      base,
      headSha,
      state: 'open',
      merged: false,
      mergeCommitSha: null,
      mergedBy: null,
      mergedAt: null,
      closedAt: null,
      author,
      createdAt: at,
      updatedAt: at,
      checking: false,
    };
    pulls.push(p);
    await emitPull('opened', p, author);
    return p;
  }

  async function addComment(repo: Repo, number: number, author: GitHubUser, body: string) {
    const p = pulls.find((x) => x.repo === repo && x.number === number);
    if (!p) return undefined;
    const at = now();
    const c: IssueComment = {
      id: ids.comment++,
      repo,
      number,
      author,
      body,
      createdAt: at,
      updatedAt: at,
      reactions: [],
    };
    comments.push(c);
    const issue = {
      ...(await renderPull(p, true)),
      pull_request: {
        url: `${baseUrl}/repos/${repo.owner}/${repo.name}/pulls/${number}`,
        html_url: `${baseUrl}/${repo.owner}/${repo.name}/pull/${number}`,
        merged_at: p.mergedAt,
      },
    };
    emit(repo, 'issue_comment', {
      action: 'created',
      issue,
      comment: renderComment(c),
      repository: renderRepo(repo),
      sender: renderUser(author),
    });
    return c;
  }

  function paged(items: unknown[], query: URLSearchParams, path: string): Answer {
    const perPage = Math.min(Number(query.get('per_page') ?? 30) || 30, 100);
    const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const links: string[] = [];
    const at = (n: number) => {
      const q = new URLSearchParams(query);
      q.set('page', String(n));
      q.set('per_page', String(perPage));
      return `<${baseUrl}${path}?${q.toString()}>`;
    };
    if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
    return new Answer(
      200,
      items.slice((page - 1) * perPage, page * perPage),
      links.length > 0 ? { link: links.join(', ') } : {},
    );
  }

  async function handle(
    op: MatchedOperation,
    user: GitHubUser,
    query: URLSearchParams,
    path: string,
  ): Promise<Answer> {
    const params = op.params;
    const body = (op.body ?? {}) as Json;
    let repo: Repo | undefined;
    let access: GitHubAccess | undefined;
    const tokenCheck = () => {
      const verdict = checkToken(user.tokenKind, op.operationId, params.owner ?? params.org);
      if (verdict.ok) return undefined;
      if (verdict.status === 404) return notFound();
      return fail(
        403,
        user.installation ? 'Resource not accessible by integration' : verdict.message,
        {},
        verdict.accepted ? { 'x-accepted-github-permissions': verdict.accepted } : {},
      );
    };
    // Repository hooks are for repository admins; a GitHub App needs no role, only its "Webhooks" repository
    // permission, which tokenCheck has already required (https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps#repository-permissions-for-webhooks).
    const managesHooks = () => access === 'admin' || user.installation !== undefined;
    if (op.template.startsWith('/repos/{owner}/{repo}')) {
      repo = repos.get(`${params.owner}/${params.repo}`.toLowerCase());
      access = repo ? accessOf(repo, user) : undefined;
      if (!repo || !access) return notFound();
      const refused = tokenCheck();
      if (refused) return refused;
      const writes = op.method !== 'get' && !op.template.includes('/issues/');
      if (writes && !canWrite(access)) return fail(403, 'Resource not accessible by personal access token');
    } else {
      const refused = tokenCheck();
      if (refused) return refused;
    }
    /** The team `org/slug`, when the caller sees it (org owners and its members; `closed`: every org member). */
    const visibleTeam = () => {
      const team = teams.find(
        (t) => t.org.toLowerCase() === params.org?.toLowerCase() && t.slug === params.team_slug,
      );
      // An installation with organization Members: read sees the teams of its organization.
      if (team && user.installation)
        return user.installation.account.toLowerCase() === team.org.toLowerCase() ? team : undefined;
      return team && canSeeTeam(team, user.login, orgRole(team.org, user.login)) ? team : undefined;
    };
    const pullAt = (n: string | undefined) => pulls.find((p) => p.repo === repo && String(p.number) === n);

    switch (op.operationId) {
      case 'users/get-by-username': {
        const found = users.get((params.username ?? '').toLowerCase());
        return found
          ? new Answer(200, { ...example('public-user-default-response'), ...renderUser(found) })
          : notFound();
      }
      case 'users/get-authenticated':
        // Installation tokens cannot read /user: an App learns who it is from GET /app (GITHUB-BEHAVIOUR.md).
        if (user.installation) return fail(403, 'Resource not accessible by integration');
        return new Answer(200, {
          ...example('private-user'),
          ...renderUser(user),
          name: user.login,
          email: null,
        });
      case 'pulls/list': {
        const state = query.get('state') ?? 'open';
        const head = query.get('head');
        const base = query.get('base');
        const found = pulls
          .filter(
            (p) =>
              p.repo === repo &&
              (state === 'all' || p.state === state) &&
              (!base || p.base === base) &&
              (!head || `${p.repo.owner}:${p.head}`.toLowerCase() === head.toLowerCase()),
          )
          .sort((a, b) => b.number - a.number);
        const answer = paged(found, query, path);
        return new Answer(
          200,
          await Promise.all((answer.body as GitHubPull[]).map((p) => renderPull(p, true))),
          answer.headers,
        );
      }
      case 'pulls/create': {
        const created = await createPull(
          repo!,
          user,
          String(body.head),
          String(body.base),
          String(body.title ?? ''),
          String(body.body ?? ''),
        );
        return created instanceof Answer ? created : new Answer(201, await renderPull(created));
      }
      case 'pulls/get': {
        const p = pullAt(params.pull_number);
        return p ? new Answer(200, await renderPull(p)) : notFound();
      }
      case 'pulls/update': {
        const p = pullAt(params.pull_number);
        if (!p) return notFound();
        if (typeof body.title === 'string') p.title = body.title;
        if (typeof body.body === 'string') p.body = body.body;
        p.updatedAt = now();
        if (body.state === 'closed' && p.state === 'open') {
          Object.assign(p, { state: 'closed', closedAt: now() });
          await emitPull('closed', p, user);
        } else if (body.state === 'open' && p.state === 'closed' && !p.merged) {
          Object.assign(p, { state: 'open', closedAt: null });
          await emitPull('reopened', p, user);
        } else {
          await emitPull('edited', p, user);
        }
        return new Answer(200, await renderPull(p));
      }
      case 'pulls/merge':
        return merge(repo!, user, pullAt(params.pull_number), body);
      case 'repos/create-commit-status': {
        const s: CommitStatus = {
          id: ids.status++,
          repo: repo!,
          sha: params.sha ?? '',
          context: String(body.context ?? 'default'),
          state: String(body.state),
          description: typeof body.description === 'string' ? body.description : null,
          targetUrl: typeof body.target_url === 'string' ? body.target_url : null,
          creator: user,
          createdAt: now(),
        };
        statuses.push(s);
        return new Answer(201, renderStatus(s));
      }
      case 'repos/get-combined-status-for-ref': {
        const sha = (await branchSha(repo!.bare, params.ref ?? '')) ?? params.ref ?? '';
        const latest = new Map<string, CommitStatus>();
        for (const s of statuses) if (s.repo === repo && s.sha === sha) latest.set(s.context, s);
        const list = [...latest.values()];
        const states = list.map((s) => s.state);
        // GitHub: any error/failure → failure; any pending, or none at all → pending; else success.
        const state = states.some((s) => s === 'error' || s === 'failure')
          ? 'failure'
          : states.length === 0 || states.includes('pending')
            ? 'pending'
            : 'success';
        return new Answer(200, {
          ...example('combined-commit-status'),
          state,
          sha,
          total_count: list.length,
          statuses: list.map((s) => {
            const { creator: _c, ...simple } = renderStatus(s);
            return { ...simple, avatar_url: null, required: false };
          }),
          repository: {
            ...(example('combined-commit-status').repository as Json),
            id: repo!.id,
            name: repo!.name,
            full_name: `${repo!.owner}/${repo!.name}`,
          },
          commit_url: `${baseUrl}/repos/${repo!.owner}/${repo!.name}/commits/${sha}`,
          url: `${baseUrl}/repos/${repo!.owner}/${repo!.name}/commits/${sha}/status`,
        });
      }
      case 'issues/create-comment': {
        const c = await addComment(repo!, Number(params.issue_number), user, String(body.body));
        return c ? new Answer(201, renderComment(c)) : notFound();
      }
      case 'issues/list-comments-for-repo': {
        // docs.github.com rest/issues/comments "List issue comments for a repository": comments on issues and PRs,
        // ascending by id unless `sort`/`direction` say otherwise (promobot asks created, asc: the same order here).
        const direction = query.get('direction') === 'desc' ? -1 : 1;
        return paged(
          comments
            .filter((c) => c.repo === repo)
            .sort((a, b) => direction * (a.id - b.id))
            .map(renderComment),
          query,
          path,
        );
      }
      case 'issues/list-comments':
        return paged(
          comments
            .filter((c) => c.repo === repo && String(c.number) === params.issue_number)
            .map(renderComment),
          query,
          path,
        );
      case 'issues/update-comment': {
        const c = comments.find((x) => x.repo === repo && String(x.id) === params.comment_id);
        if (!c) return notFound();
        if (c.author !== user && !canWrite(access))
          return fail(403, 'Resource not accessible by personal access token');
        c.body = String(body.body);
        c.updatedAt = now();
        return new Answer(200, renderComment(c));
      }
      case 'reactions/create-for-issue-comment': {
        const c = comments.find((x) => x.repo === repo && String(x.id) === params.comment_id);
        if (!c) return notFound();
        const existing = c.reactions.find((r) => r.user === user && r.content === body.content);
        const reaction = existing ?? {
          id: ids.reaction++,
          user,
          content: String(body.content),
          createdAt: now(),
        };
        if (!existing) c.reactions.push(reaction);
        return new Answer(existing ? 200 : 201, {
          ...example('reaction'),
          id: reaction.id,
          node_id: `REA_${reaction.id}`,
          user: renderUser(user),
          content: reaction.content,
          created_at: reaction.createdAt,
        });
      }
      case 'pulls/list-reviews':
        if (!pullAt(params.pull_number)) return notFound();
        return paged(
          reviews.filter((r) => r.repo === repo && String(r.number) === params.pull_number).map(renderReview),
          query,
          path,
        );
      case 'repos/get-collaborator-permission-level': {
        const self = (params.username ?? '').toLowerCase() === user.login.toLowerCase();
        if (!self && !canWrite(access))
          return fail(403, 'Must have push access to view collaborator permission.');
        const target = users.get((params.username ?? '').toLowerCase());
        if (!target) return notFound();
        const level = accessOf(repo!, target);
        const permission = level === 'maintain' ? 'write' : level === 'triage' ? 'read' : (level ?? 'none');
        return new Answer(200, {
          permission,
          role_name: level ?? 'none',
          user: {
            ...renderUser(target),
            role_name: level ?? 'none',
            permissions: {
              admin: level === 'admin',
              maintain: level === 'maintain',
              push: canWrite(level),
              triage: level !== undefined,
              pull: level !== undefined,
            },
          },
        });
      }
      case 'teams/get-by-name': {
        const team = visibleTeam();
        if (!team) return notFound();
        return new Answer(200, {
          ...example('team-full'),
          organization: { ...(example('team-full').organization as Json), archived_at: null },
          type: 'organization',
          id: team.id,
          node_id: `T_${team.id}`,
          url: `${baseUrl}/organizations/1/team/${team.id}`,
          html_url: `${baseUrl}/orgs/${team.org}/teams/${team.slug}`,
          name: team.slug,
          slug: team.slug,
          description: null,
          privacy: team.privacy,
          notification_setting: 'notifications_enabled',
          permission: 'pull',
          members_url: `${baseUrl}/organizations/1/team/${team.id}/members{/member}`,
          repositories_url: `${baseUrl}/organizations/1/team/${team.id}/repos`,
          parent: null,
          members_count: team.members.size,
          repos_count: 0,
        });
      }
      case 'teams/get-membership-for-user-in-org': {
        // An invisible team, a caller outside the organization and a user outside the team all read as 404.
        const team = visibleTeam();
        const login = (params.username ?? '').toLowerCase();
        if (!team || (!team.members.has(login) && !team.pending.has(login))) return notFound();
        return new Answer(200, {
          url: `${baseUrl}/organizations/1/team/${team.id}/memberships/${login}`,
          role: 'member',
          state: team.members.has(login) ? 'active' : 'pending',
        });
      }
      case 'git/delete-ref': {
        const ref = params.ref ?? '';
        // A protected branch (or one a ruleset covers) cannot be deleted: GitHub's GH006 words
        // (https://github.com/OSGeo/grass/issues/1286), answered 422 on the REST route.
        if (protections.has(`${repo!.owner}/${repo!.name}:${ref.slice('heads/'.length)}`.toLowerCase()))
          return fail(422, 'Cannot delete this protected branch');
        if (!ref.startsWith('heads/') || !(await deleteBranch(repo!.bare, ref.slice('heads/'.length))))
          return fail(422, 'Reference does not exist');
        await syncRefs();
        return new Answer(204);
      }
      case 'repos/get':
        return new Answer(200, {
          ...example('full-repository'),
          ...renderRepo(repo!),
          permissions: {
            admin: access === 'admin',
            maintain: access === 'maintain' || access === 'admin',
            push: canWrite(access),
            triage: true,
            pull: true,
          },
        });
      case 'repos/delete-webhook': {
        const at = hooks.findIndex((h) => h.repo === repo && String(h.id) === params.hook_id);
        if (at < 0 || !managesHooks()) return notFound();
        hooks.splice(at, 1);
        return new Answer(204);
      }
      case 'repos/list-webhooks':
        // Repository hooks are for repository admins (and Apps with the Webhooks permission): anyone else gets 404
        // (docs.github.com REST "Repository webhooks" lists 404 as the only refusal; admin is needed:
        // https://github.com/orgs/community/discussions/132426).
        if (!managesHooks()) return notFound();
        return paged(hooks.filter((h) => h.repo === repo).map(renderHook), query, path);
      case 'repos/create-webhook': {
        if (!managesHooks()) return notFound();
        const at = now();
        // GitHub hooks are active unless told otherwise, and listen to push by default.
        const hook: Hook = {
          id: ids.hook++,
          repo: repo!,
          config: (body.config ?? {}) as Json,
          events: (body.events as string[] | undefined) ?? ['push'],
          active: body.active !== false,
          createdAt: at,
          updatedAt: at,
        };
        hooks.push(hook);
        return new Answer(201, renderHook(hook));
      }
      case 'repos/update-webhook': {
        const hook = hooks.find((h) => h.repo === repo && String(h.id) === params.hook_id);
        if (!hook || !managesHooks()) return notFound();
        if (body.config) hook.config = { ...hook.config, ...(body.config as Json) };
        if (Array.isArray(body.events)) hook.events = body.events as string[];
        if (typeof body.active === 'boolean') hook.active = body.active;
        hook.updatedAt = now();
        return new Answer(200, renderHook(hook));
      }
      // Repository rulesets (docs.github.com/en/rest/repos/rules): anyone who reads the repo lists them; making and
      // changing them needs the admin role, or for an App the Administration: write permission.
      case 'repos/get-repo-rulesets':
        return paged(
          rulesets.filter((r) => r.repo === repo).map((r) => renderRuleset(r, user, true)),
          query,
          path,
        );
      case 'repos/get-repo-ruleset': {
        const found = rulesets.find((r) => r.repo === repo && String(r.id) === params.ruleset_id);
        return found ? new Answer(200, renderRuleset(found, user, false)) : notFound();
      }
      case 'repos/create-repo-ruleset':
      case 'repos/update-repo-ruleset':
      case 'repos/delete-repo-ruleset': {
        const administers =
          access === 'admin' ||
          (user.installation !== undefined &&
            user.tokenKind.kind === 'fine-grained' &&
            user.tokenKind.permissions.administration === 'write');
        if (!administers) return notFound();
        const at = now();
        if (op.operationId === 'repos/create-repo-ruleset') {
          if (rulesets.some((r) => r.repo === repo && r.body.name === body.name))
            return fail(422, 'Validation Failed', { errors: ['Name must be unique'] });
          const made = { id: ids.ruleset++, repo: repo!, body, createdAt: at, updatedAt: at };
          rulesets.push(made);
          return new Answer(201, renderRuleset(made, user, false));
        }
        const found = rulesets.find((r) => r.repo === repo && String(r.id) === params.ruleset_id);
        if (!found) return notFound();
        if (op.operationId === 'repos/delete-repo-ruleset') {
          rulesets.splice(rulesets.indexOf(found), 1);
          return new Answer(204);
        }
        // PUT replaces the fields it sends.
        found.body = { ...found.body, ...body };
        found.updatedAt = at;
        return new Answer(200, renderRuleset(found, user, false));
      }
      default:
        return fail(501, `the GitHub double does not implement ${op.operationId}`);
    }
  }

  /** A ruleset as GitHub answers it; the list leaves out conditions, rules and bypass actors. */
  function renderRuleset(
    r: { id: number; repo: Repo; body: Json; createdAt: string; updatedAt: string },
    user: GitHubUser,
    summary: boolean,
  ): Json {
    const source = `${r.repo.owner}/${r.repo.name}`;
    return {
      id: r.id,
      name: r.body.name,
      target: r.body.target ?? 'branch',
      source_type: 'Repository',
      source,
      enforcement: r.body.enforcement,
      node_id: `RRS_${r.id}`,
      _links: {
        self: { href: `${baseUrl}/repos/${source}/rulesets/${r.id}` },
        html: { href: `${baseUrl.replace(/\/api\/v3$/, '')}/${source}/rules/${r.id}` },
      },
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      ...(summary
        ? {}
        : {
            bypass_actors: r.body.bypass_actors ?? [],
            current_user_can_bypass: bypasses(r.body, r.repo, user) ? 'always' : 'never',
            conditions: r.body.conditions ?? null,
            rules: r.body.rules ?? [],
          }),
    };
  }

  /** Why protection (or a ruleset) on the PR's base refuses `user` the merge of `headSha`; undefined: it allows it. */
  function protectionRefusal(repo: Repo, user: GitHubUser, p: GitHubPull, headSha: string) {
    // Rulesets made through the API: their required status checks must be green on the head.
    const missing = rulesetNeeds(repo, p.base, user).contexts.filter(
      (context) =>
        statuses.filter((s) => s.repo === repo && s.sha === headSha && s.context === context).at(-1)
          ?.state !== 'success',
    );
    if (missing.length > 0)
      return `Repository rule violations found\n\n${missing.map((c) => `Required status check "${c}" is expected.`).join('\n\n')}\n\n`;
    const rule = protections.get(`${repo.owner}/${repo.name}:${p.base}`.toLowerCase());
    if (!rule) return undefined;
    const login = user.login.toLowerCase();
    if (rule.ruleset && (rule.bypass ?? []).some((b) => b.toLowerCase() === login)) return undefined;
    if (!rule.ruleset && !rule.enforceAdmins && accessOf(repo, user) === 'admin') return undefined;
    const reasons: string[] = [];
    const wanted = rule.requiredApprovingReviews ?? 0;
    if (wanted > 0) {
      // The latest approving or rejecting review of each reviewer counts, if they have write access.
      const latest = new Map<string, PullReview['state']>();
      for (const r of reviews)
        if (r.repo === repo && r.number === p.number && r.state !== 'COMMENTED')
          latest.set(r.reviewer.login.toLowerCase(), r.state);
      const approving = [...latest].filter(
        ([reviewer, state]) =>
          state === 'APPROVED' && canWrite(repo.access.get(reviewer) ?? accessOf(repo, userOf(reviewer))),
      ).length;
      if (approving < wanted)
        reasons.push(
          wanted === 1
            ? 'At least 1 approving review is required by reviewers with write access.'
            : `At least ${wanted} approving reviews are required by reviewers with write access.`,
        );
    }
    for (const context of rule.requiredStatusChecks ?? []) {
      const last = statuses
        .filter((s) => s.repo === repo && s.sha === headSha && s.context === context)
        .at(-1);
      if (last?.state !== 'success') reasons.push(`Required status check "${context}" is expected.`);
    }
    if (reasons.length === 0) return undefined;
    return rule.ruleset ? `Repository rule violations found\n\n${reasons.join('\n\n')}\n\n` : reasons[0];
  }

  async function merge(repo: Repo, user: GitHubUser, p: GitHubPull | undefined, body: Json): Promise<Answer> {
    if (!p) return notFound();
    if (p.merged || p.state === 'closed') return fail(405, 'Pull Request is not mergeable');
    if (p.checking) return fail(405, 'Pull Request is not mergeable');
    const headSha = (await branchSha(repo.bare, p.head)) ?? p.headSha;
    if (typeof body.sha === 'string' && body.sha !== headSha)
      return fail(409, 'Head branch was modified. Review and try the merge again.');
    const blocked = protectionRefusal(repo, user, p, headSha);
    if (blocked) return fail(405, blocked);
    const method = String(body.merge_method ?? 'merge');
    const before = await branchSha(repo.bare, p.base);
    if (!before) return notFound();
    const title =
      typeof body.commit_title === 'string'
        ? body.commit_title
        : method === 'squash'
          ? `${p.title} (#${p.number})`
          : `Merge pull request #${p.number} from ${repo.owner}/${p.head}`;
    const message = typeof body.commit_message === 'string' ? `${title}\n\n${body.commit_message}` : title;
    const outcome = await mergeIntoBranch(repo.bare, p.base, headSha, {
      style: method === 'squash' ? 'squash' : 'merge',
      message,
      author: { name: user.login, email: `${user.login}@users.noreply.example.test` },
    });
    if (!outcome.ok)
      return 'conflict' in outcome
        ? fail(405, 'Pull Request is not mergeable')
        : fail(405, 'Base branch was modified. Review and try the merge again.');
    const at = now();
    Object.assign(p, {
      state: 'closed',
      merged: true,
      mergeCommitSha: outcome.sha,
      mergedBy: user,
      mergedAt: at,
      closedAt: at,
      updatedAt: at,
      headSha,
    });
    repo.refs.set(p.base, outcome.sha);
    await emitPull('closed', p, user);
    await emitPush(repo, p.base, before, outcome.sha, user);
    return new Answer(200, { sha: outcome.sha, merged: true, message: 'Pull Request successfully merged' });
  }

  /** A user's token, or a live installation token (an expired one matches nobody: 401 "Bad credentials"). */
  function userByToken(token: string): GitHubUser | undefined {
    if (token === '') return undefined;
    const installation = installationTokens.get(token);
    if (installation) return installation.expiresAt > Date.now() ? installation.user : undefined;
    return [...users.values()].find((u) => u.token === token);
  }

  /**
   * The App's JWT (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app):
   * RS256, signed with the App's private key, `iss` its id, `exp` at most 10 minutes after `iat`, not expired.
   */
  function appOfJwt(token: string | undefined): (typeof apps)[number] | Answer {
    const invalid = fail(401, 'A JSON web token could not be decoded');
    const parts = (token ?? '').split('.');
    if (parts.length !== 3) return invalid;
    const [head = '', body = '', signature = ''] = parts;
    let header: Json;
    let claims: Json;
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as Json;
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Json;
    } catch {
      return invalid;
    }
    const app = apps.find((a) => String(a.id) === String(claims.iss));
    if (header.alg !== 'RS256' || !app) return invalid;
    const data = Buffer.from(`${head}.${body}`);
    if (!verify('RSA-SHA256', data, app.publicKey, Buffer.from(signature, 'base64url'))) return invalid;
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    const nowSeconds = Math.floor(Date.now() / 1000);
    if (!Number.isInteger(iat) || !Number.isInteger(exp) || exp <= nowSeconds || iat > nowSeconds + 60)
      return fail(
        401,
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      );
    if (exp - iat > 600) return fail(401, "'Expiration time' claim ('exp') is too far in the future");
    return app;
  }

  /** `GET /app` and `POST /app/installations/{id}/access_tokens`, answered to the App's JWT only. */
  function answerApp(op: MatchedOperation, token: string | undefined): Answer {
    const app = appOfJwt(token);
    if (app instanceof Answer) return app;
    if (op.operationId === 'apps/get-authenticated') {
      return new Answer(200, {
        ...example('integration'),
        id: app.id,
        slug: app.slug,
        node_id: `A_${app.id}`,
        name: app.slug,
        owner: ownerUser(app.account),
        permissions: { metadata: 'read', ...app.permissions },
        installations_count: 1,
      });
    }
    if (op.operationId === 'apps/create-installation-access-token') {
      if (op.params.installation_id !== String(app.installationId)) return notFound();
      const issued = `ghs_${randomBytes(18).toString('hex')}`;
      const expiresAt = Date.now() + app.ttl * 1000;
      installationTokens.set(issued, { user: app.bot, expiresAt });
      return new Answer(201, {
        token: issued,
        expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: { metadata: 'read', ...app.permissions },
        repository_selection: 'all',
      });
    }
    return fail(501, `the GitHub double does not implement ${op.operationId}`);
  }

  const RATE_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
  const epoch = () => Math.floor(Date.now() / 1000);
  /** The primary budget of `user`'s token; a spent one is refilled at its reset time, as GitHub does each hour. */
  const rateOf = (user: GitHubUser) => {
    const key = user.login.toLowerCase();
    let rate = rates.get(key);
    if (!rate || epoch() >= rate.resetAt) {
      rate = { remaining: 5000, resetAt: epoch() + 3600, status: rate?.status ?? 403 };
      rates.set(key, rate);
    }
    return rate;
  };
  const rateHeaders = (user: GitHubUser): Record<string, string> => {
    const rate = rateOf(user);
    return {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(rate.remaining),
      'x-ratelimit-reset': String(rate.resetAt),
      'x-ratelimit-used': String(5000 - rate.remaining),
      'x-ratelimit-resource': 'core',
    };
  };
  /**
   * Rate limits (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api): past the
   * primary limit 403 or 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`; a secondary limit 403 or 429
   * with `retry-after`. Otherwise the call spends one unit of the budget.
   */
  function rateLimited(user: GitHubUser): Answer | undefined {
    const key = user.login.toLowerCase();
    const second = secondary.get(key);
    if (second && second.left > 0) {
      second.left -= 1;
      return fail(
        second.status,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        { documentation_url: RATE_DOCS },
        { 'retry-after': String(second.retryAfter) },
      );
    }
    const rate = rateOf(user);
    if (rate.remaining <= 0) {
      return fail(rate.status, `API rate limit exceeded for user ID ${user.id}.`, {
        documentation_url: RATE_DOCS,
      });
    }
    rate.remaining -= 1;
    return undefined;
  }

  async function answerApi(
    method: string,
    url: URL,
    headers: Record<string, string | string[] | undefined>,
    rawBody: string,
  ) {
    const path = url.pathname;
    const check = contract.checkRequest({
      method,
      path,
      query: url.searchParams,
      contentType: headers['content-type'] as string | undefined,
      body: rawBody,
    });
    let answer: Answer;
    if (!check.ok) {
      violations.push(`${method} ${path}${url.search}: ${check.problem}`);
      answer = fail(400, `contract violation: ${check.problem}`);
    } else {
      const fault = faults.find(
        (f) =>
          f.left > 0 &&
          (!f.method || f.method.toUpperCase() === method) &&
          (!f.path || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))),
      );
      const auth = String(headers.authorization ?? '');
      const token = /^(?:token|bearer) (\S+)$/i.exec(auth)?.[1];
      const isAppRoute = check.operation.operationId.startsWith('apps/');
      const user = token === undefined || isAppRoute ? undefined : userByToken(token);
      const limited = user ? rateLimited(user) : undefined;
      if (fault) {
        fault.left -= 1;
        answer = new Answer(
          fault.status,
          fault.body ?? { message: `injected ${fault.status}`, documentation_url: DOCS },
          fault.headers ?? {},
        );
      } else if (isAppRoute) {
        answer = answerApp(check.operation, token);
        if (answer.status < 300)
          answerProblems.push(
            ...contract.checkResponse(
              check.operation.template,
              check.operation.method,
              answer.status,
              answer.body,
            ),
          );
      } else if (!user) {
        answer = fail(401, 'Bad credentials');
      } else if (limited) {
        answer = limited;
      } else {
        await syncRefs();
        answer = await handle(check.operation, user, url.searchParams, path);
        if (answer.status < 300) {
          answerProblems.push(
            ...contract.checkResponse(
              check.operation.template,
              check.operation.method,
              answer.status,
              answer.body,
            ),
          );
        }
      }
      // Classic tokens only: a fine-grained token's answers carry no X-OAuth-Scopes
      // (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps).
      if (user?.tokenKind.kind === 'classic') answer.headers['x-oauth-scopes'] = user.scopes.join(', ');
      if (user) Object.assign(answer.headers, { ...rateHeaders(user), ...answer.headers });
    }
    requests.push({ method, path: `${path}${url.search}`, status: answer.status });
    return answer;
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', baseUrl);
      const raw = Buffer.concat(chunks);
      const work = async () => {
        const gitRepo = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/.exec(url.pathname);
        const repo = gitRepo ? repos.get(`${gitRepo[1]}/${gitRepo[2]}`.toLowerCase()) : undefined;
        if (gitRepo && repo) {
          const credentials = basicCredentials(req.headers.authorization);
          const user = userByToken(credentials?.password ?? '') ?? userByToken(credentials?.user ?? '');
          const fine = user?.tokenKind.kind === 'fine-grained' ? user.tokenKind : undefined;
          const contents = fine ? heldBy(fine, 'contents') : 'write';
          const reaches = !fine || fine.owner.toLowerCase() === repo.owner.toLowerCase();
          const level = user && reaches && grants(contents, 'read') ? accessOf(repo, user) : undefined;
          if (!user || !level) {
            // Private repos: GitHub challenges anyone it cannot match to access.
            res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' });
            res.end('Invalid username or token.\n');
            return undefined;
          }
          await serveGit(req, res, raw, repo.bare, gitRepo[3] ?? '/', url.search.slice(1), {
            login: user.login,
            canPush: canWrite(level) && grants(contents, 'write'),
            protectedBranches: refusedPushes(repo, user),
            branchRules: forcePushRules(repo, user),
          });
          return syncRefs();
        }
        const answer = await answerApi(
          (req.method ?? 'GET').toUpperCase(),
          url,
          req.headers,
          raw.toString('utf8'),
        );
        const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
        res.writeHead(answer.status, {
          ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
          'x-github-request-id': randomUUID(),
          ...answer.headers,
        });
        res.end(text);
      };
      const next = queue.then(work, work).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(err) }));
      });
      queue = next;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const locked = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const double: GitHubDouble = {
    url: baseUrl,
    violations,
    answerProblems,
    requests,
    deliveries,
    addUser(login, userOptions = {}) {
      const fine = userOptions.fineGrained;
      const scopes = fine ? [] : (userOptions.scopes ?? ['repo', 'read:org']);
      const user: GitHubUser = {
        id: ids.user++,
        login,
        token:
          userOptions.token ??
          (fine ? `github_pat_${randomBytes(30).toString('hex')}` : `ghp_${randomBytes(18).toString('hex')}`),
        scopes,
        tokenKind: fine
          ? { kind: 'fine-grained', owner: fine.owner, permissions: { ...fine.permissions } }
          : { kind: 'classic', scopes },
      };
      users.set(login.toLowerCase(), user);
      return user;
    },
    addOrgMember(org, login, role = 'member') {
      const members = orgs.get(org.toLowerCase()) ?? new Map<string, OrgRole>();
      members.set(login.toLowerCase(), role);
      orgs.set(org.toLowerCase(), members);
    },
    async addRepo(repoOptions) {
      const repo: Repo = {
        id: ids.repo++,
        owner: repoOptions.owner,
        name: repoOptions.name,
        bare: repoOptions.bare,
        defaultBranch: repoOptions.defaultBranch ?? 'main',
        access: new Map(Object.entries(repoOptions.access ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        refs: new Map(),
      };
      repo.refs = await listRefs(repo);
      repos.set(`${repo.owner}/${repo.name}`.toLowerCase(), repo);
    },
    setAccess(fullName, login, level) {
      const repo = repoOf(fullName);
      if (level === 'none') repo.access.delete(login.toLowerCase());
      else repo.access.set(login.toLowerCase(), level);
    },
    addTeam(org, slug, members, pendingMembers = [], teamOptions = {}) {
      // Only members of the organization can be in one of its teams; a pending one is still an invitation.
      for (const m of members) if (orgRole(org, m) === undefined) double.addOrgMember(org, m);
      if (!orgs.has(org.toLowerCase())) orgs.set(org.toLowerCase(), new Map());
      teams.push({
        id: ids.team++,
        org,
        slug,
        privacy: teamOptions.privacy ?? 'secret',
        members: new Set(members.map((m) => m.toLowerCase())),
        pending: new Set(pendingMembers.map((m) => m.toLowerCase())),
      });
    },
    setTeamPrivacy(org, slug, privacy) {
      const team = teams.find((t) => t.org.toLowerCase() === org.toLowerCase() && t.slug === slug);
      if (!team) throw new Error(`no team ${org}/${slug} in the GitHub double`);
      team.privacy = privacy;
    },
    protectBranch(fullName, branchName, protection) {
      const key = `${fullName}:${branchName}`.toLowerCase();
      if (protection) protections.set(key, protection);
      else protections.delete(key);
    },
    limitRate(login, limit) {
      rates.set(login.toLowerCase(), {
        remaining: limit.remaining,
        resetAt: epoch() + limit.resetInSeconds,
        status: limit.status ?? 403,
      });
    },
    statuses(fullName, sha) {
      const repo = repoOf(fullName);
      return statuses
        .filter((x) => x.repo === repo && x.sha === sha)
        .map((x) => ({ context: x.context, state: x.state }));
    },
    comments(fullName, number) {
      const repo = repoOf(fullName);
      return comments
        .filter((x) => x.repo === repo && x.number === number)
        .map((x) => ({
          id: x.id,
          author: x.author,
          body: x.body,
          reactions: x.reactions.map((r) => ({ user: r.user, content: r.content })),
        }));
    },
    rulesets(fullName) {
      const repo = repoOf(fullName);
      return rulesets.filter((r) => r.repo === repo).map((r) => ({ id: r.id, ...r.body }));
    },
    addApp(appOptions) {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const id = ids.app++;
      const installationId = ids.installation++;
      const login = `${appOptions.slug}[bot]`;
      const bot: GitHubUser = {
        id: ids.user++,
        login,
        token: `unusable-${randomBytes(8).toString('hex')}`,
        scopes: [],
        tokenKind: {
          kind: 'fine-grained',
          owner: appOptions.account,
          permissions: { ...appOptions.permissions },
        },
        installation: { appId: id, account: appOptions.account },
      };
      users.set(login.toLowerCase(), bot);
      apps.push({
        id,
        slug: appOptions.slug,
        publicKey,
        ttl: appOptions.tokenTtlSeconds ?? 3600,
        account: appOptions.account,
        installationId,
        permissions: { ...appOptions.permissions },
        bot,
      });
      return {
        id,
        slug: appOptions.slug,
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        installations: { [appOptions.account]: installationId },
      };
    },
    expireInstallationTokens() {
      for (const issued of installationTokens.values()) issued.expiresAt = Date.now() - 1000;
    },
    secondaryRateLimit(login, limit) {
      secondary.set(login.toLowerCase(), {
        retryAfter: limit.retryAfterSeconds,
        left: limit.times ?? 1,
        status: limit.status ?? 429,
      });
    },
    openPullRequest(fullName, pr) {
      return locked(async () => {
        await syncRefs();
        const created = await createPull(
          repoOf(fullName),
          userOf(pr.author),
          pr.head,
          pr.base,
          pr.title,
          pr.body ?? '',
        );
        if (created instanceof Answer) throw new Error(`cannot open the PR: ${JSON.stringify(created.body)}`);
        return created;
      });
    },
    comment(fullName, number, author, body) {
      return locked(async () => {
        const c = await addComment(repoOf(fullName), number, userOf(author), body);
        if (!c) throw new Error(`no PR #${number} in ${fullName}`);
        return { id: c.id };
      });
    },
    review(fullName, number, reviewer, state, body = '') {
      return locked(async () => {
        const repo = repoOf(fullName);
        const p = pulls.find((x) => x.repo === repo && x.number === number);
        if (!p) throw new Error(`no PR #${number} in ${fullName}`);
        const r: PullReview = {
          id: ids.comment++,
          repo,
          number,
          reviewer: userOf(reviewer),
          state,
          body,
          commitId: p.headSha,
          submittedAt: now(),
        };
        reviews.push(r);
        emit(repo, 'pull_request_review', {
          action: 'submitted',
          review: { ...renderReview(r), state: state.toLowerCase() },
          pull_request: await renderPull(p, true),
          repository: renderRepo(repo),
          sender: renderUser(r.reviewer),
        });
        return { id: r.id };
      });
    },
    merge(fullName, number, login, method = 'merge') {
      return locked(async () => {
        await syncRefs();
        const repo = repoOf(fullName);
        const p = pulls.find((x) => x.repo === repo && x.number === number);
        return (await merge(repo, userOf(login), p, { merge_method: method })).status;
      });
    },
    syncRefs: () => locked(syncRefs),
    holdMergeCheck(fullName, number, held) {
      const p = pulls.find((x) => x.repo === repoOf(fullName) && x.number === number);
      if (p) p.checking = held;
    },
    pull: (fullName, number) => pulls.find((p) => p.repo === repoOf(fullName) && p.number === number),
    pulls: (fullName) => pulls.filter((p) => p.repo === repoOf(fullName)),
    failNext(rule) {
      faults.push({ ...rule, left: rule.times ?? 1 });
    },
    async flush() {
      await queue.catch(() => undefined);
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      await double.flush();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return double;
}
