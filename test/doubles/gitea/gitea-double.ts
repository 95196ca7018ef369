import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CONTRACTS_DIR } from '../../support/fixtures.js';
import { seededRandom } from '../../support/seeded-random.js';
import {
  branchSha,
  commitsBetween,
  deleteBranch,
  isAncestor,
  mergeIntoBranch,
  wouldConflict,
} from '../bare-git.js';
import { deliverWebhook, type Delivery } from '../deliver-webhook.js';
import {
  createContract,
  type Contract,
  type MatchedOperation,
  type OpenApiDocument,
} from '../openapi-contract.js';
import { basicCredentials, serveGit, type BranchRule } from '../serve-git.js';
import { firstMatch, inGiteaOrder, rulePattern } from './branch-rules.js';
import {
  createRenderer,
  now,
  type AccessLevel,
  type DoubleComment,
  type DoubleHook,
  type DoublePull,
  type DoubleRepo,
  type DoubleReview,
  type DoubleStatus,
  type DoubleTeam,
  type DoubleUser,
  type ReviewState,
} from './gitea-model.js';
import {
  createEvent,
  deleteEvent,
  giteaDeliveryHeaders,
  hookWants,
  issueCommentEvent,
  plainIssueCommentEvent,
  pullRequestEvent,
  pushEvent,
  reviewEvent,
  type GiteaEvent,
} from './gitea-webhooks.js';

const run = promisify(execFile);

type Json = Record<string, unknown>;

export interface FaultRule {
  method?: string;
  /** A substring of, or a pattern for, the path below `/api/v1`. */
  path?: string | RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests fail; 1 unless told. */
  times?: number;
}

/**
 * Faults at random, as a flaky proxy or an overloaded Gitea gives them: each API call (and, with `git`, each git
 * HTTP request) fails with probability `rate`, answering one of `answers` in turn. With probability `lost` a failing
 * call that changes something is carried out first and only its answer is lost (a 502 after the write), the case
 * that duplicates work when a client retries blindly. Seeded, so a failing run can be repeated.
 */
export interface RandomFaults {
  rate: number;
  seed: number;
  answers?: { status: number; headers?: Record<string, string> }[];
  lost?: number;
  git?: boolean;
}

/** What the random faults did so far. */
export interface FaultCounts {
  calls: number;
  failed: number;
  /** Of `failed`: writes carried out whose answer was replaced by the fault. */
  lostAnswers: number;
  byStatus: Record<number, number>;
}

export interface GiteaDoubleOptions {
  /** Receives every event (like a system hook), signed with `secret`, besides hooks created through the API. */
  webhook?: { url: string; secret: string };
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
}

export interface GiteaDouble {
  /** Root URL (the API is below `/api/v1`; bare repos are served over git's smart HTTP at `/{owner}/{name}.git`). */
  readonly url: string;
  /** Requests the contract does not allow; a test fails when this is not empty. */
  readonly violations: string[];
  /** Answers of the double that do not match the contract's response schemas (a bug in the double). */
  readonly answerProblems: string[];
  readonly requests: RecordedRequest[];
  readonly deliveries: Delivery[];
  /** `siteAdmin` passes every route guard, as a Gitea site administrator does. */
  addUser(login: string, options?: { scopes?: string[]; token?: string; siteAdmin?: boolean }): DoubleUser;
  addRepo(options: {
    owner: string;
    name: string;
    bare: string;
    defaultBranch?: string;
    access?: Record<string, AccessLevel>;
  }): Promise<DoubleRepo>;
  setAccess(fullName: string, login: string, level: AccessLevel | 'none'): void;
  /**
   * A team of organization `org` (the organization exists once it has a team). As on Gitea, the members of the team
   * named `Owners` own the organization, and a member of any team is a member of the organization.
   */
  addTeam(org: string, name: string, members: string[]): DoubleTeam;
  /** Adds (or removes) `login` to the team, as an org owner does in Gitea's UI. */
  setTeamMember(org: string, team: string, login: string, member: boolean): void;
  /** Opens a PR as `author` through the UI (sends `pull_request` opened). */
  openPullRequest(
    fullName: string,
    pr: { author: string; head: string; base: string; title: string; body?: string },
  ): Promise<DoublePull>;
  /** Opens a plain issue as `author` through the UI; it shares the PRs' numbering, as in Gitea. */
  openIssue(
    fullName: string,
    issue: { author: string; title: string; body?: string },
  ): Promise<{ index: number }>;
  /** Posts a comment as `author` through the UI (sends `issue_comment`). */
  comment(fullName: string, index: number, author: string, body: string): Promise<DoubleComment>;
  /** Submits a review as `reviewer` through the UI (sends `pull_request_approved` / `_rejected` / `_comment`). */
  review(
    fullName: string,
    index: number,
    reviewer: string,
    state: ReviewState,
    body?: string,
  ): Promise<DoubleReview>;
  /** Merges a PR as `user` through the UI (the same checks and webhooks as the API); answers the HTTP status. */
  merge(fullName: string, index: number, user: string, style?: 'merge' | 'squash'): Promise<number>;
  /** Notices pushes made straight to the bare repos (push and `synchronized` webhooks), as Gitea's hooks do. */
  syncRefs(): Promise<void>;
  /**
   * A branch protection rule on `branch` (services/pull/check.go CheckPullBranchProtections): merging into it needs
   * `statusChecks` all successful on the head and `requiredApprovals` approving reviews; deleting it is refused.
   * Every writer may push to it unless `pushers` lists who may (the push allow-list). `undefined` lifts it.
   */
  protectBranch(
    fullName: string,
    branch: string,
    rule:
      | {
          requiredApprovals?: number;
          statusChecks?: string[];
          pushers?: string[];
          /** Force pushes on: for everyone who may push (true), or for these logins only (the allow-list). */
          forcePush?: boolean | string[];
        }
      | undefined,
  ): void;
  /** The branch protection rules of the repo, as `GET .../branch_protections` lists them. */
  protections(fullName: string): Json[];
  /** While held, merging the PR answers 405 "Please try again later". */
  holdMergeCheck(fullName: string, index: number, held: boolean): void;
  pull(fullName: string, index: number): DoublePull | undefined;
  pulls(fullName: string): DoublePull[];
  comments(fullName: string, index: number): DoubleComment[];
  statuses(fullName: string, sha: string): DoubleStatus[];
  hooks(fullName: string): DoubleHook[];
  failNext(rule: FaultRule): void;
  /** Starts failing calls at random (see `RandomFaults`); `undefined` stops it. */
  randomFaults(faults: RandomFaults | undefined): void;
  readonly faultCounts: FaultCounts;
  /** Resolves once every webhook delivery started so far has been answered. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** What `GET /version` reports: the contract's own version line. */
const GITEA_VERSION = '1.24.0';

const ALLOWED_REACTIONS = ['+1', '-1', 'laugh', 'hooray', 'confused', 'heart', 'rocket', 'eyes'];

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown = undefined,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Loads the Gitea contract once per double (no module state). */
function loadContract(): Contract {
  const document = JSON.parse(
    readFileSync(join(CONTRACTS_DIR, 'gitea-openapi3.v1.json'), 'utf8'),
  ) as OpenApiDocument;
  return createContract(document, {
    goZeroValuesAreAbsent: true,
    // Gitea's apiKey-in-query security schemes.
    extraQueryParams: ['access_token', 'token', 'sudo'],
  });
}

/**
 * A stateful Gitea (1.24+) on a free port: the REST endpoints promobot uses, every request checked against
 * test/contracts/gitea-openapi3.v1.json, the behaviour of test/contracts/GITEA-BEHAVIOUR.md, pull requests on
 * real bare git repos, and webhooks like Gitea's.
 */
export async function startGiteaDouble(options: GiteaDoubleOptions = {}): Promise<GiteaDouble> {
  const contract = loadContract();
  const violations: string[] = [];
  const answerProblems: string[] = [];
  const requests: RecordedRequest[] = [];
  const deliveries: Delivery[] = [];
  const pending = new Set<Promise<void>>();
  const faults: (FaultRule & { left: number })[] = [];
  let chaos: { faults: RandomFaults; next: () => number; turn: number } | undefined;
  const faultCounts: FaultCounts = { calls: 0, failed: 0, lostAnswers: 0, byStatus: {} };
  /** The random fault for this call, if one is due: which answer, and whether the write happens anyway. */
  const drawFault = (method: string) => {
    if (!chaos) return undefined;
    faultCounts.calls += 1;
    if (chaos.next() >= chaos.faults.rate) return undefined;
    const answers = chaos.faults.answers ?? DEFAULT_FAULT_ANSWERS;
    const answer = answers[chaos.turn++ % answers.length]!;
    const lost = method !== 'GET' && chaos.next() < (chaos.faults.lost ?? 0);
    faultCounts.failed += 1;
    faultCounts.byStatus[answer.status] = (faultCounts.byStatus[answer.status] ?? 0) + 1;
    if (lost) faultCounts.lostAnswers += 1;
    return { ...answer, lost };
  };

  const users = new Map<string, DoubleUser>();
  const repos = new Map<string, DoubleRepo>();
  const knownRefs = new Map<string, Map<string, string>>();
  const pulls: DoublePull[] = [];
  const issues: {
    id: number;
    repo: DoubleRepo;
    index: number;
    author: DoubleUser;
    title: string;
    body: string;
    createdAt: string;
  }[] = [];
  const comments: DoubleComment[] = [];
  const reviews: DoubleReview[] = [];
  const statuses: DoubleStatus[] = [];
  const hooks: DoubleHook[] = [];
  const teams: DoubleTeam[] = [];
  // Branch protection rules by `owner/name:rule_name`, each kept as Gitea's BranchProtection fields.
  const protections = new Map<string, Json>();
  const rulesOfRepo = (repo: DoubleRepo): Json[] => {
    const prefix = `${repo.owner}/${repo.name}:`.toLowerCase();
    return [...protections].filter(([key]) => key.startsWith(prefix)).map(([, rule]) => rule);
  };
  /** The rule Gitea applies to `branch`: the first match, plain names before globs (./branch-rules.ts). */
  const protectionOf = (repo: DoubleRepo, branch: string): ProtectionView | undefined => {
    const rule = firstMatch(rulesOfRepo(repo), branch);
    return rule === undefined ? undefined : viewOf(rule);
  };
  /**
   * models/git/protected_branch.go CanUserPush: nobody when pushing is off; with the allow-list on, only its users
   * and members of its teams; otherwise everyone who may write.
   */
  const canUserPush = (repo: DoubleRepo, rule: ProtectionView, user: DoubleUser): boolean => {
    if (!rule.enablePush) return false;
    if (!rule.enablePushWhitelist) return accessOf(repo, user) !== 'read';
    if (rule.pushUsers.includes(user.login.toLowerCase())) return true;
    return teamsOf(repo.owner).some((t) => rule.pushTeams.includes(t.name.toLowerCase()) && inTeam(t, user));
  };
  /**
   * models/git/protected_branch.go CanUserForcePush: nobody when force pushes are off; with its allow-list on, only
   * its users (and teams) who may also push; otherwise everyone who may push.
   */
  const canUserForcePush = (repo: DoubleRepo, rule: ProtectionView, user: DoubleUser): boolean => {
    if (!rule.enableForcePush) return false;
    if (!rule.enableForcePushAllowlist) return canUserPush(repo, rule, user);
    const listed =
      rule.forcePushUsers.includes(user.login.toLowerCase()) ||
      teamsOf(repo.owner).some((t) => rule.forcePushTeams.includes(t.name.toLowerCase()) && inTeam(t, user));
    return listed && canUserPush(repo, rule, user);
  };
  /**
   * The rules of `repo` as the pre-receive hook applies them to `user`'s push, in Gitea's order (the first matching
   * rule decides). routers/private/hook_pre_receive.go preReceiveBranch: a force push needs CanUserForcePush, any
   * other update CanUserPush; cmd/hook.go fail() prints "Gitea: " + the message, which names the branch.
   */
  const branchRulesFor = (repo: DoubleRepo, user: DoubleUser): BranchRule[] =>
    inGiteaOrder(rulesOfRepo(repo)).map((rule) => {
      const view = viewOf(rule);
      const { source, ignoreCase } = rulePattern(view.ruleName);
      return {
        pattern: source,
        ignoreCase,
        ...(canUserPush(repo, view, user)
          ? {}
          : { push: 'Gitea: Not allowed to push to protected branch {branch}' }),
        ...(canUserForcePush(repo, view, user)
          ? {}
          : { forcePush: 'Gitea: Not allowed to force-push to protected branch {branch}' }),
      };
    });
  /**
   * routers/api/v1/repo/branch.go Create/EditBranchProtection: whitelist names must be users (422 otherwise);
   * models/git/protected_branch.go updateUserWhitelist then drops, silently, users who may not write.
   */
  const whitelistOf = (repo: DoubleRepo, names: unknown): string[] | HttpAnswer => {
    const kept: string[] = [];
    for (const name of Array.isArray(names) ? (names as string[]) : []) {
      const found = users.get(name.toLowerCase());
      if (!found) return error(422, `user does not exist [uid: 0, name: ${name}]`);
      if (['write', 'admin'].includes(accessOf(repo, found) ?? '')) kept.push(found.login);
    }
    return kept;
  };
  const ids = { user: 1, repo: 1, pull: 1, comment: 1, status: 1, hook: 1, team: 1 };
  const issueIndex = new Map<string, number>();
  let baseUrl = '';
  let render = createRenderer('');
  // Serializes the handlers: Gitea is one process with a database; the double keeps its state in memory.
  let queue: Promise<unknown> = Promise.resolve();

  const fullName = (r: DoubleRepo) => `${r.owner}/${r.name}`;
  const repoOf = (name: string): DoubleRepo => {
    const repo = repos.get(name.toLowerCase());
    if (!repo) throw new Error(`no repo ${name} in the Gitea double`);
    return repo;
  };
  const userOf = (login: string): DoubleUser => {
    const user = users.get(login.toLowerCase());
    if (!user) throw new Error(`no user ${login} in the Gitea double`);
    return user;
  };
  const teamsOf = (org: string) => teams.filter((t) => t.org.toLowerCase() === org.toLowerCase());
  const orgExists = (org: string) => teamsOf(org).length > 0;
  const inTeam = (team: DoubleTeam, user: DoubleUser) => team.members.has(user.login.toLowerCase());
  /** models/organization: a member of any team of the org is an org member; the `Owners` team owns it. */
  const isOrgMember = (org: string, user: DoubleUser) => teamsOf(org).some((t) => inTeam(t, user));
  const isOrgOwner = (org: string, user: DoubleUser) =>
    teamsOf(org).some((t) => t.name.toLowerCase() === 'owners' && inTeam(t, user));
  /** Site admins and org owners have admin access to every repo they govern; others what they were given. */
  const accessOf = (repo: DoubleRepo, user: DoubleUser): AccessLevel | undefined =>
    user.siteAdmin || user.login.toLowerCase() === repo.owner.toLowerCase() || isOrgOwner(repo.owner, user)
      ? 'admin'
      : repo.access.get(user.login.toLowerCase());
  const nextIndex = (repo: DoubleRepo) => {
    const n = (issueIndex.get(fullName(repo)) ?? 0) + 1;
    issueIndex.set(fullName(repo), n);
    return n;
  };
  const notFound = () =>
    new HttpAnswer(404, {
      message: "The target couldn't be found.",
      url: `${baseUrl}/api/swagger`,
      errors: null,
    });
  const error = (status: number, message: string) =>
    new HttpAnswer(status, { message, url: `${baseUrl}/api/swagger` });
  /** api.go: the whole `/hooks` group (listing included) runs reqAdmin(). */
  const notRepoAdmin = () =>
    error(403, 'user should be an owner or a collaborator with admin write of a repository');

  async function renderPull(p: DoublePull) {
    const baseSha = (await branchSha(p.repo.bare, p.base)) ?? p.mergeBase;
    return render.pull(p, baseSha);
  }

  function emit(repo: DoubleRepo, event: GiteaEvent) {
    const body = JSON.stringify(event.payload, null, 2);
    const targets: { url: string; secret: string }[] = [];
    if (options.webhook) targets.push(options.webhook);
    for (const hook of hooks) {
      if (hook.repo === repo && hook.active && hookWants(hook.events, event) && hook.config.url) {
        targets.push({ url: hook.config.url, secret: hook.config.secret ?? '' });
      }
    }
    for (const target of targets) {
      const delivery = deliverWebhook(
        target.url,
        event.event,
        giteaDeliveryHeaders(event, body, target.secret),
        body,
      ).then((d) => {
        deliveries.push(d);
      });
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
    }
  }

  async function emitPull(action: Parameters<typeof pullRequestEvent>[0], p: DoublePull, sender: DoubleUser) {
    emit(p.repo, pullRequestEvent(action, await renderPull(p), render.repo(p.repo), render.user(sender)));
  }

  async function emitPush(
    repo: DoubleRepo,
    branch: string,
    before: string | null,
    after: string,
    pusher: DoubleUser,
  ) {
    const commits = await commitsBetween(repo.bare, before, after);
    const zero = '0000000000000000000000000000000000000000';
    emit(
      repo,
      pushEvent(
        `refs/heads/${branch}`,
        before ?? zero,
        after,
        commits,
        render.repo(repo),
        render.user(pusher),
      ),
    );
  }

  async function listBranches(repo: DoubleRepo): Promise<Map<string, string>> {
    const { stdout } = await run(
      'git',
      ['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads'],
      {
        cwd: repo.bare,
        env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      },
    );
    const refs = new Map<string, string>();
    for (const line of stdout.split('\n')) {
      const [name, sha] = line.trim().split(' ');
      if (name && sha) refs.set(name, sha);
    }
    return refs;
  }

  async function syncRefs() {
    for (const repo of repos.values()) {
      const known = knownRefs.get(fullName(repo)) ?? new Map<string, string>();
      const current = await listBranches(repo);
      const owner = users.get(repo.owner.toLowerCase()) ?? [...users.values()][0];
      for (const [branch, sha] of current) {
        const before = known.get(branch);
        if (before === sha) continue;
        known.set(branch, sha);
        if (owner && before === undefined)
          emit(repo, createEvent(branch, sha, render.repo(repo), render.user(owner)));
        if (owner) await emitPush(repo, branch, before ?? null, sha, owner);
        for (const p of pulls) {
          if (p.repo === repo && p.state === 'open' && p.head === branch && p.headSha !== sha) {
            p.headSha = sha;
            p.updatedAt = now();
            if (owner) await emitPull('synchronized', p, owner);
          }
        }
      }
      for (const branch of [...known.keys()]) {
        if (current.has(branch)) continue;
        known.delete(branch);
        closePullsOf(repo, branch);
        if (owner) emit(repo, deleteEvent(branch, render.repo(repo), render.user(owner)));
      }
      knownRefs.set(fullName(repo), known);
    }
  }

  /** Deleting a branch closes every open PR whose head or base it was (and fires only `delete`, not sent here). */
  function closePullsOf(repo: DoubleRepo, branch: string) {
    for (const p of pulls) {
      if (p.repo === repo && p.state === 'open' && (p.head === branch || p.base === branch)) {
        p.state = 'closed';
        p.closedAt = now();
      }
    }
  }

  async function createPull(
    repo: DoubleRepo,
    author: DoubleUser,
    head: string,
    base: string,
    title: string,
    body: string,
  ) {
    if (head === base) return error(422, 'Invalid PullRequest: head and base are the same');
    const headSha = await branchSha(repo.bare, head);
    const baseSha = await branchSha(repo.bare, base);
    if (!headSha || !baseSha) return notFound();
    const existing = pulls.find(
      (p) => p.repo === repo && p.state === 'open' && p.head === head && p.base === base,
    );
    if (existing) {
      return error(
        409,
        `pull request already exists for these targets [id: ${existing.id}, issue_id: ${existing.id}, head_repo_id: ${repo.id}, base_repo_id: ${repo.id}, head_branch: ${head}, base_branch: ${base}]`,
      );
    }
    const { stdout } = await run('git', ['merge-base', baseSha, headSha], { cwd: repo.bare });
    const at = now();
    const p: DoublePull = {
      id: ids.pull++,
      index: nextIndex(repo),
      repo,
      title,
      body,
      head,
      base,
      headSha,
      mergeBase: stdout.trim(),
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
      conflicted: await wouldConflict(repo.bare, baseSha, headSha),
    };
    pulls.push(p);
    await emitPull('opened', p, author);
    return p;
  }

  async function addComment(repo: DoubleRepo, index: number, author: DoubleUser, body: string) {
    const p = pulls.find((x) => x.repo === repo && x.index === index);
    const issue = issues.find((x) => x.repo === repo && x.index === index);
    if (!p && !issue) return undefined;
    const at = now();
    const c: DoubleComment = {
      id: ids.comment++,
      repo,
      index,
      author,
      body,
      createdAt: at,
      updatedAt: at,
      reactions: [],
    };
    comments.push(c);
    if (!p && issue) {
      emit(
        repo,
        plainIssueCommentEvent(
          render.comment(c, false),
          {
            id: issue.id,
            number: issue.index,
            title: issue.title,
            body: issue.body,
            user: render.user(issue.author),
            createdAt: issue.createdAt,
          },
          render.repo(repo),
          render.user(author),
        ),
      );
      return c;
    }
    if (!p) return c;
    emit(
      repo,
      issueCommentEvent(
        'created',
        render.comment(c),
        await renderPull(p),
        render.repo(repo),
        render.user(author),
      ),
    );
    return c;
  }

  async function addReview(p: DoublePull, reviewer: DoubleUser, state: ReviewState, body: string) {
    const r: DoubleReview = {
      id: ids.comment++,
      repo: p.repo,
      index: p.index,
      reviewer,
      state,
      body,
      commitId: p.headSha,
      submittedAt: now(),
      dismissed: false,
    };
    reviews.push(r);
    emit(p.repo, reviewEvent(state, body, await renderPull(p), render.repo(p.repo), render.user(reviewer)));
    return r;
  }

  /** Whether a comment is on a PR (plain issues share the numbering). */
  const isPullIndex = (c: DoubleComment) => pulls.some((p) => p.repo === c.repo && p.index === c.index);

  function paged<T>(items: T[], query: URLSearchParams, path: string): HttpAnswer {
    const limit = Math.min(Number(query.get('limit') ?? 30) || 30, 50);
    const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
    const slice = items.slice((page - 1) * limit, page * limit);
    const headers: Record<string, string> = { 'x-total-count': String(items.length) };
    const last = Math.max(1, Math.ceil(items.length / limit));
    const links: string[] = [];
    if (page < last) links.push(`<${baseUrl}/api/v1${path}?page=${page + 1}&limit=${limit}>; rel="next"`);
    links.push(`<${baseUrl}/api/v1${path}?page=${last}&limit=${limit}>; rel="last"`);
    headers.link = links.join(',');
    return new HttpAnswer(200, slice, headers);
  }

  function scopeFor(method: string, template: string): string {
    const level = method === 'get' ? 'read' : 'write';
    if (/^\/(orgs|teams)\//.test(template)) return `${level}:organization`;
    if (template === '/user' || template.startsWith('/user/')) return `${level}:user`;
    if (template.startsWith('/repos/{owner}/{repo}/issues')) return `${level}:issue`;
    return `${level}:repository`;
  }

  function hasScope(user: DoubleUser, needed: string): boolean {
    if (user.scopes.includes('all') || user.scopes.includes(needed)) return true;
    const [level, category] = needed.split(':');
    return level === 'read' && user.scopes.includes(`write:${category}`);
  }

  async function handle(
    op: MatchedOperation,
    user: DoubleUser,
    query: URLSearchParams,
    path: string,
  ): Promise<HttpAnswer> {
    const params = op.params;
    const body = (op.body ?? {}) as Json;
    let repo: DoubleRepo | undefined;
    let access: AccessLevel | undefined;
    if (op.template.startsWith('/repos/{owner}/{repo}')) {
      repo = repos.get(`${params.owner}/${params.repo}`.toLowerCase());
      access = repo ? accessOf(repo, user) : undefined;
      // A private repo the user cannot see does not exist for them.
      if (!repo || !access) return notFound();
    }
    const needsWrite =
      op.method !== 'get' && !op.template.includes('/issues/') && op.operationId !== 'repoMergePullRequest';
    if (repo && needsWrite && access === 'read')
      return error(403, 'user should have a permission to write to a repo');
    const pullAt = (index: string | undefined) =>
      pulls.find((p) => p.repo === repo && String(p.index) === index);

    switch (op.operationId) {
      case 'userGetCurrent':
        return new HttpAnswer(200, render.user(user));
      case 'repoGet':
        return new HttpAnswer(200, render.repo(repo!, access));
      case 'repoListPullRequests': {
        const state = query.get('state') ?? 'open';
        const base = query.get('base_branch');
        const found = pulls
          .filter(
            (p) => p.repo === repo && (state === 'all' || p.state === state) && (!base || p.base === base),
          )
          .sort((a, b) => b.index - a.index);
        const answer = paged(found, query, path);
        return new HttpAnswer(
          200,
          await Promise.all((answer.body as DoublePull[]).map(renderPull)),
          answer.headers,
        );
      }
      case 'repoCreatePullRequest': {
        const created = await createPull(
          repo!,
          user,
          String(body.head ?? ''),
          String(body.base ?? ''),
          String(body.title ?? ''),
          String(body.body ?? ''),
        );
        return created instanceof HttpAnswer ? created : new HttpAnswer(201, await renderPull(created));
      }
      case 'repoGetPullRequestByBaseHead': {
        // `head` may be `owner:branch`. No state filter and no ordering: the oldest match is as good as any.
        const head = (params.head ?? '').includes(':')
          ? (params.head ?? '').split(':').slice(1).join(':')
          : params.head;
        const found = pulls.find((p) => p.repo === repo && p.base === params.base && p.head === head);
        return found ? new HttpAnswer(200, await renderPull(found)) : notFound();
      }
      case 'repoGetPullRequest': {
        const p = pullAt(params.index);
        return p ? new HttpAnswer(200, await renderPull(p)) : notFound();
      }
      case 'repoEditPullRequest': {
        const p = pullAt(params.index);
        if (!p) return notFound();
        if (body.state !== undefined && p.merged)
          return error(412, 'cannot change state of this pull request, it was already merged');
        let edited = false;
        if (typeof body.title === 'string' && body.title !== p.title) {
          p.title = body.title;
          edited = true;
        }
        if (typeof body.body === 'string' && body.body !== p.body) {
          p.body = body.body;
          edited = true;
        }
        p.updatedAt = now();
        if (edited) await emitPull('edited', p, user);
        if (body.state === 'closed' && p.state === 'open') {
          p.state = 'closed';
          p.closedAt = now();
          await emitPull('closed', p, user);
        } else if (body.state === 'open' && p.state === 'closed') {
          p.state = 'open';
          p.closedAt = null;
          await emitPull('reopened', p, user);
        }
        // Gitea answers an edit with 201.
        return new HttpAnswer(201, await renderPull(p));
      }
      case 'repoPullRequestIsMerged': {
        const p = pullAt(params.index);
        return p?.merged ? new HttpAnswer(204) : notFound();
      }
      case 'repoMergePullRequest':
        return merge(repo!, access!, user, pullAt(params.index), body);
      case 'repoCreateStatus': {
        const s: DoubleStatus = {
          id: ids.status++,
          repo: repo!,
          sha: params.sha ?? '',
          context: String(body.context ?? 'default'),
          state: String(body.state ?? 'pending'),
          description: String(body.description ?? ''),
          targetUrl: String(body.target_url ?? ''),
          creator: user,
          createdAt: now(),
        };
        statuses.push(s);
        return new HttpAnswer(201, render.status(s));
      }
      case 'repoListStatuses':
        return paged(
          statuses
            .filter((s) => s.repo === repo && s.sha === params.sha)
            .reverse()
            .map(render.status),
          query,
          path,
        );
      case 'repoGetCombinedStatusByRef': {
        const sha = (await branchSha(repo!.bare, params.ref ?? '')) ?? params.ref ?? '';
        const latest = new Map<string, DoubleStatus>();
        for (const s of statuses) if (s.repo === repo && s.sha === sha) latest.set(s.context, s);
        const list = [...latest.values()];
        return new HttpAnswer(200, {
          // No statuses at all: `state` is the empty string.
          state: combine(list.map((s) => s.state)),
          sha,
          total_count: list.length,
          statuses: list.map(render.status),
          repository: render.repo(repo!, access),
          commit_url: `${baseUrl}/api/v1/repos/${fullName(repo!)}/commits/${sha}`,
          url: `${baseUrl}/api/v1/repos/${fullName(repo!)}/commits/${sha}/status`,
        });
      }
      case 'issueCreateComment': {
        const c = await addComment(repo!, Number(params.index), user, String(body.body ?? ''));
        return c ? new HttpAnswer(201, render.comment(c, isPullIndex(c))) : notFound();
      }
      case 'issueGetComments':
        return new HttpAnswer(
          200,
          comments
            .filter((c) => c.repo === repo && String(c.index) === params.index)
            .map((c) => render.comment(c, isPullIndex(c))),
        );
      case 'issueGetRepoComments': {
        // routers/api/v1/repo/issue_comment.go ListRepoIssueComments: every comment of the repo's issues and PRs,
        // oldest first, paged by page/limit with X-Total-Count.
        const found = comments.filter((c) => c.repo === repo).sort((a, b) => a.id - b.id);
        const answer = paged(found, query, path);
        return new HttpAnswer(
          200,
          (answer.body as DoubleComment[]).map((c) => render.comment(c, isPullIndex(c))),
          answer.headers,
        );
      }
      case 'issueEditComment': {
        const c = comments.find((x) => x.repo === repo && String(x.id) === params.id);
        if (!c) return notFound();
        // routers/api/v1/repo/issue_comment.go editIssueComment: the poster, or anyone who can write issues/pulls
        // (`ctx.Doer.ID != comment.PosterID && !ctx.Repo.CanWriteIssuesOrPulls(...)` → 403): a writer can edit
        // the bot's comments.
        if (c.author !== user && access !== 'admin' && access !== 'write') return new HttpAnswer(403);
        const previous = c.body;
        c.body = String(body.body ?? '');
        c.updatedAt = now();
        const p = pulls.find((x) => x.repo === repo && x.index === c.index);
        if (p && previous !== c.body) {
          emit(
            repo!,
            issueCommentEvent(
              'edited',
              render.comment(c),
              await renderPull(p),
              render.repo(repo!),
              render.user(user),
              previous,
            ),
          );
        }
        return new HttpAnswer(200, render.comment(c, isPullIndex(c)));
      }
      case 'issueDeleteComment': {
        // routers/api/v1/repo/issue_comment.go deleteIssueComment: the same guard as an edit (the poster, or anyone
        // who can write issues/pulls), 204 on success; a deleted comment fires issue_comment "deleted".
        const c = comments.find((x) => x.repo === repo && String(x.id) === params.id);
        if (!c) return notFound();
        if (c.author !== user && access !== 'admin' && access !== 'write') return new HttpAnswer(403);
        comments.splice(comments.indexOf(c), 1);
        const p = pulls.find((x) => x.repo === repo && x.index === c.index);
        if (p)
          emit(
            repo!,
            issueCommentEvent(
              'deleted',
              render.comment(c),
              await renderPull(p),
              render.repo(repo!),
              render.user(user),
            ),
          );
        return new HttpAnswer(204);
      }
      case 'issuePostCommentReaction': {
        const c = comments.find((x) => x.repo === repo && String(x.id) === params.id);
        if (!c) return notFound();
        const content = String(body.content ?? '');
        if (!ALLOWED_REACTIONS.includes(content))
          return error(403, `'${content}' is not an allowed reaction`);
        const existing = c.reactions.find((r) => r.user === user && r.content === content);
        if (existing) return new HttpAnswer(200, render.reaction(existing));
        const reaction = { user, content, createdAt: now() };
        c.reactions.push(reaction);
        return new HttpAnswer(201, render.reaction(reaction));
      }
      case 'issueGetCommentReactions': {
        const c = comments.find((x) => x.repo === repo && String(x.id) === params.id);
        return c ? new HttpAnswer(200, c.reactions.map(render.reaction)) : notFound();
      }
      case 'repoListPullReviews': {
        if (!pullAt(params.index)) return notFound();
        return paged(
          reviews.filter((r) => r.repo === repo && String(r.index) === params.index).map(render.review),
          query,
          path,
        );
      }
      case 'repoCreatePullReview': {
        const p = pullAt(params.index);
        if (!p) return notFound();
        const event = String(body.event ?? 'COMMENT');
        if (event !== 'APPROVED' && event !== 'REQUEST_CHANGES' && event !== 'COMMENT')
          return error(422, `unknown review event ${event}`);
        if (event !== 'COMMENT' && p.author === user)
          return error(422, 'approve your own pull is not allowed');
        return new HttpAnswer(200, render.review(await addReview(p, user, event, String(body.body ?? ''))));
      }
      case 'repoGetRepoPermissions': {
        // routers/api/v1/repo/collaborators.go GetRepoPermissions: the guard comes before the user look-up, so a
        // caller who may not ask learns nothing, not even whether the user exists.
        const asked = (params.collaborator ?? '').toLowerCase();
        if (!user.siteAdmin && access !== 'admin' && asked !== user.login.toLowerCase()) {
          return error(
            403,
            'Only admins can query all permissions, repo admins can query all repo permissions, collaborators can query only their own',
          );
        }
        const target = users.get(asked);
        if (!target) return notFound();
        const level = accessOf(repo!, target) ?? 'none';
        return new HttpAnswer(200, {
          permission: target.login.toLowerCase() === repo!.owner.toLowerCase() ? 'owner' : level,
          role_name: level,
          user: render.user(target),
        });
      }
      case 'repoDeleteBranch': {
        const branch = params.branch ?? '';
        if (branch === repo!.defaultBranch) return error(403, 'can not delete default branch');
        // repo/branch.go DeleteBranch: a protected branch is refused.
        if (protectionOf(repo!, branch)) return error(403, 'branch protected');
        if (!(await deleteBranch(repo!.bare, branch))) return notFound();
        knownRefs.get(fullName(repo!))?.delete(branch);
        closePullsOf(repo!, branch);
        emit(repo!, deleteEvent(branch, render.repo(repo!), render.user(user)));
        return new HttpAnswer(204);
      }
      case 'repoGetBranch': {
        const name = params.branch ?? '';
        const sha = await branchSha(repo!.bare, name);
        if (!sha) return notFound();
        const [commit] = await commitsBetween(repo!.bare, `${sha}~1`, sha).catch(() =>
          commitsBetween(repo!.bare, null, sha),
        );
        const person = { name: commit?.author.name ?? '', email: commit?.author.email ?? '', username: '' };
        return new HttpAnswer(200, {
          name,
          commit: {
            id: sha,
            message: commit?.message ?? '',
            url: `${baseUrl}/${fullName(repo!)}/commit/${sha}`,
            author: person,
            committer: person,
            verification: null,
            timestamp: commit?.timestamp ?? now(),
            added: null,
            removed: null,
            modified: null,
          },
          protected: protectionOf(repo!, name) !== undefined,
          required_approvals: protectionOf(repo!, name)?.requiredApprovals ?? 0,
          enable_status_check: protectionOf(repo!, name)?.enableStatusCheck ?? false,
          status_check_contexts: protectionOf(repo!, name)?.statusChecks ?? [],
          user_can_push:
            access !== 'read' &&
            (protectionOf(repo!, name) === undefined || canUserPush(repo!, protectionOf(repo!, name)!, user)),
          user_can_merge: access !== 'read',
          effective_branch_protection_name: '',
        });
      }
      // routers/api/v1/api.go: the `/branch_protections` group runs reqToken() and reqAdmin().
      case 'repoListBranchProtection': {
        if (access !== 'admin') return notRepoAdmin();
        const prefix = `${fullName(repo!)}:`.toLowerCase();
        return new HttpAnswer(
          200,
          [...protections].filter(([key]) => key.startsWith(prefix)).map(([, rule]) => rule),
        );
      }
      case 'repoGetBranchProtection': {
        if (access !== 'admin') return notRepoAdmin();
        const rule = protections.get(`${fullName(repo!)}:${params.name ?? ''}`.toLowerCase());
        return rule ? new HttpAnswer(200, rule) : notFound();
      }
      case 'repoCreateBranchProtection': {
        if (access !== 'admin') return notRepoAdmin();
        // branch.go CreateBranchProtection: rule_name, else the deprecated branch_name; one rule per name.
        const ruleName = String(body.rule_name || body.branch_name || '');
        if (ruleName === '') return error(422, 'rule_name is required');
        const key = `${fullName(repo!)}:${ruleName}`.toLowerCase();
        if (protections.has(key)) return error(403, 'Branch protection already exist');
        const push = whitelistOf(repo!, body.push_whitelist_usernames);
        if (push instanceof HttpAnswer) return push;
        const forcePush = whitelistOf(repo!, body.force_push_allowlist_usernames);
        if (forcePush instanceof HttpAnswer) return forcePush;
        const at = now();
        const rule: Json = {
          ...ZERO_PROTECTION,
          ...body,
          rule_name: ruleName,
          branch_name: ruleName,
          // protected_branch.go UpdateProtectBranch: a new rule without a priority goes after the others.
          priority:
            Number(body.priority ?? 0) ||
            Math.max(0, ...rulesOfRepo(repo!).map((r) => Number(r.priority ?? 0))) + 1,
          push_whitelist_usernames: push,
          force_push_allowlist_usernames: forcePush,
          created_at: at,
          updated_at: at,
        };
        protections.set(key, rule);
        return new HttpAnswer(201, rule);
      }
      case 'repoEditBranchProtection': {
        if (access !== 'admin') return notRepoAdmin();
        const key = `${fullName(repo!)}:${params.name ?? ''}`.toLowerCase();
        const rule = protections.get(key);
        if (!rule) return notFound();
        // branch.go EditBranchProtection: only the fields sent change.
        const changed: Json = { ...rule, ...body, updated_at: now() };
        if (body.push_whitelist_usernames !== undefined) {
          const push = whitelistOf(repo!, body.push_whitelist_usernames);
          if (push instanceof HttpAnswer) return push;
          changed.push_whitelist_usernames = push;
        }
        if (body.force_push_allowlist_usernames !== undefined) {
          const forcePush = whitelistOf(repo!, body.force_push_allowlist_usernames);
          if (forcePush instanceof HttpAnswer) return forcePush;
          changed.force_push_allowlist_usernames = forcePush;
        }
        protections.set(key, changed);
        return new HttpAnswer(200, changed);
      }
      case 'repoDeleteBranchProtection': {
        if (access !== 'admin') return notRepoAdmin();
        const key = `${fullName(repo!)}:${params.name ?? ''}`.toLowerCase();
        if (!protections.delete(key)) return notFound();
        return new HttpAnswer(204);
      }
      case 'repoDeleteHook': {
        if (access !== 'admin') return notRepoAdmin();
        const at = hooks.findIndex((h) => h.repo === repo && String(h.id) === params.id);
        if (at < 0) return notFound();
        hooks.splice(at, 1);
        return new HttpAnswer(204);
      }
      case 'repoListHooks':
        if (access !== 'admin') return notRepoAdmin();
        return paged(hooks.filter((h) => h.repo === repo).map(render.hook), query, path);
      case 'repoCreateHook': {
        if (access !== 'admin') return notRepoAdmin();
        const config = (body.config ?? {}) as Record<string, string>;
        if (!config.url || !config.content_type)
          return error(422, 'Missing config option: url and content_type are required');
        const at = now();
        const hook: DoubleHook = {
          id: ids.hook++,
          repo: repo!,
          type: String(body.type ?? 'gitea'),
          config,
          // Events default to push, and a hook is inactive unless `active: true` is sent.
          events: Array.isArray(body.events) && body.events.length > 0 ? (body.events as string[]) : ['push'],
          active: body.active === true,
          branchFilter: String(body.branch_filter ?? '*'),
          createdAt: at,
          updatedAt: at,
        };
        hooks.push(hook);
        return new HttpAnswer(201, render.hook(hook));
      }
      case 'repoEditHook': {
        if (access !== 'admin') return notRepoAdmin();
        const hook = hooks.find((h) => h.repo === repo && String(h.id) === params.id);
        if (!hook) return notFound();
        if (body.config) hook.config = { ...hook.config, ...(body.config as Record<string, string>) };
        if (Array.isArray(body.events)) hook.events = body.events as string[];
        if (typeof body.active === 'boolean') hook.active = body.active;
        if (typeof body.branch_filter === 'string') hook.branchFilter = body.branch_filter;
        hook.updatedAt = now();
        return new HttpAnswer(200, render.hook(hook));
      }
      // routers/api/v1/api.go, Gitea 1.22-1.25: `/orgs/{org}` routes run orgAssignment(true) (404 for an unknown org);
      // `/orgs/{org}/teams` and `/teams/search` add reqOrgMembership() (403 "Must be an organization member"); every
      // `/teams/{teamid}` route runs reqTeamMembership() (a member of that team, an org owner or a site admin; an
      // org member outside the team gets 403 "Must be a team member", anyone else 404).
      case 'teamSearch': {
        const org = params.org ?? '';
        if (!orgExists(org)) return notFound();
        if (!user.siteAdmin && !isOrgMember(org, user)) return error(403, 'Must be an organization member');
        const q = (query.get('q') ?? '').toLowerCase();
        // routers/api/v1/org/team.go SearchTeam: "Only admin is allowed to search for all teams" — anyone else
        // finds only the teams they are in.
        const found = teamsOf(org).filter(
          (t) => t.name.toLowerCase().includes(q) && (user.siteAdmin || inTeam(t, user)),
        );
        return new HttpAnswer(200, { ok: true, data: found.map(render.team) });
      }
      case 'orgListTeams': {
        const org = params.org ?? '';
        if (!orgExists(org)) return notFound();
        if (!user.siteAdmin && !isOrgMember(org, user)) return error(403, 'Must be an organization member');
        // org/team.go ListTeams: every team of the org, to any member.
        return paged(teamsOf(org).map(render.team), query, path);
      }
      case 'orgListTeamMembers':
      case 'orgListTeamMember': {
        const team = teams.find((t) => String(t.id) === params.id);
        if (!team) return notFound();
        if (!user.siteAdmin && !isOrgOwner(team.org, user) && !inTeam(team, user)) {
          return isOrgMember(team.org, user) ? error(403, 'Must be a team member') : notFound();
        }
        if (op.operationId === 'orgListTeamMembers') {
          const members = [...users.values()].filter((u) => inTeam(team, u));
          return paged(members.map(render.user), query, path);
        }
        const member = users.get((params.username ?? '').toLowerCase());
        if (!member || !inTeam(team, member)) return notFound();
        return new HttpAnswer(200, render.user(member));
      }
      case 'orgIsMember': {
        // routers/api/v1/org/member.go IsMember: an org member or site admin learns 204 member / 404 not; anyone
        // else asking about another user is redirected to the public membership. Base.Redirect answers 303 See
        // Other (services/context/base.go `code := http.StatusSeeOther`), as the contract documents.
        const org = params.org ?? '';
        if (!orgExists(org)) return notFound();
        const target = users.get((params.username ?? '').toLowerCase());
        if (!target) return notFound();
        if (user.siteAdmin || isOrgMember(org, user)) {
          return isOrgMember(org, target) ? new HttpAnswer(204) : notFound();
        }
        if (target === user) return notFound();
        return new HttpAnswer(303, undefined, {
          location: `/api/v1/orgs/${encodeURIComponent(org)}/public_members/${encodeURIComponent(target.login)}`,
        });
      }
      case 'orgIsPublicMember': {
        // member.go IsPublicMember: no guard; nobody in the double has made their membership public.
        const org = params.org ?? '';
        if (!orgExists(org) || !users.get((params.username ?? '').toLowerCase())) return notFound();
        return notFound();
      }
      default:
        return error(501, `the Gitea double does not implement ${op.operationId}`);
    }
  }

  /** routers/api/v1/repo/pull.go MergePullRequest, in Gitea's order of checks. */
  async function merge(
    repo: DoubleRepo,
    access: AccessLevel,
    user: DoubleUser,
    p: DoublePull | undefined,
    body: Json,
  ) {
    if (!p) return notFound();
    if (p.state === 'closed' && !p.merged) return notFound();
    if (p.merged) return new HttpAnswer(405);
    if (access === 'read') return error(405, 'User not allowed to merge PR');
    if (p.checking || p.conflicted) return error(405, 'Please try again later');
    const headSha = (await branchSha(repo.bare, p.head)) ?? p.headSha;
    // services/pull/check.go CheckPullBranchProtections, in its order; pull.go answers 405 with the error's text.
    const protection = protectionOf(repo, p.base);
    if (protection) {
      const latest = new Map<string, string>();
      for (const s of statuses) if (s.repo === repo && s.sha === headSha) latest.set(s.context, s.state);
      // A required context is a glob (services/pull/commit_status.go MergeRequiredContextsCommitStatus); promobot's
      // are literal names. With status checks on and no context named, every status must be green.
      const required = protection.statusChecks.length > 0 ? protection.statusChecks : [...latest.keys()];
      if (
        protection.enableStatusCheck &&
        (latest.size === 0 || required.some((context) => latest.get(context) !== 'success'))
      )
        return error(405, 'not allowed to merge [reason: Not all required status checks successful]');
      const approvals = reviews.filter(
        // Only official reviews count: by someone who may write to the repo (models/issues/review.go).
        (r) =>
          r.repo === repo &&
          r.index === p.index &&
          r.state === 'APPROVED' &&
          !r.dismissed &&
          ['write', 'admin'].includes(accessOf(repo, r.reviewer) ?? ''),
      ).length;
      if (approvals < protection.requiredApprovals)
        return error(405, 'not allowed to merge [reason: Does not have enough approvals]');
    }
    if (
      typeof body.head_commit_id === 'string' &&
      body.head_commit_id !== '' &&
      body.head_commit_id !== headSha
    ) {
      return error(409, 'head out of date');
    }
    const style = String(body.do);
    const baseBefore = await branchSha(repo.bare, p.base);
    if (!baseBefore) return notFound();
    let mergedSha: string;
    if (style === 'fast-forward-only') {
      if (!(await isAncestor(repo.bare, baseBefore, headSha))) return error(405, 'Not fast-forwardable');
      await run('git', ['update-ref', `refs/heads/${p.base}`, headSha, baseBefore], { cwd: repo.bare });
      mergedSha = headSha;
    } else if (style === 'merge' || style === 'squash' || style === 'rebase' || style === 'rebase-merge') {
      const title =
        typeof body.merge_title_field === 'string' && body.merge_title_field !== ''
          ? body.merge_title_field
          : style === 'squash'
            ? `${p.title} (#${p.index})`
            : `Merge pull request '${p.title}' (#${p.index}) from ${p.head} into ${p.base}`;
      const message =
        typeof body.merge_message_field === 'string' && body.merge_message_field !== ''
          ? `${title}\n\n${body.merge_message_field}`
          : title;
      const outcome = await mergeIntoBranch(repo.bare, p.base, headSha, {
        style: style === 'squash' ? 'squash' : 'merge',
        message,
        author: { name: user.login, email: user.email },
      });
      if (!outcome.ok) {
        if ('conflict' in outcome) {
          p.conflicted = true;
          // A conflict found while merging: the body is Go's raw error object, not `{message}`.
          return new HttpAnswer(409, {
            Style: style,
            StdOut: '',
            StdErr: 'CONFLICT (content): Merge conflict',
            Err: {},
          });
        }
        return error(409, 'the base branch moved while merging, try again');
      }
      mergedSha = outcome.sha;
    } else {
      return error(405, `merge style ${style} is not allowed`);
    }
    const at = now();
    Object.assign(p, {
      state: 'closed',
      merged: true,
      mergeCommitSha: mergedSha,
      mergedBy: user,
      mergedAt: at,
      closedAt: at,
      updatedAt: at,
      headSha,
    });
    knownRefs.get(fullName(repo))?.set(p.base, mergedSha);
    // A merge through the API fires `pull_request` closed+merged and a `push` of the base branch by the merger.
    await emitPull('closed', p, user);
    await emitPush(repo, p.base, baseBefore, mergedSha, user);
    if (body.delete_branch_after_merge === true && (await deleteBranch(repo.bare, p.head))) {
      knownRefs.get(fullName(repo))?.delete(p.head);
      closePullsOf(repo, p.head);
    }
    return new HttpAnswer(200);
  }

  async function answerApi(req: IncomingMessage, rawBody: string, res: ServerResponse, url: URL) {
    const path = url.pathname.slice('/api/v1'.length) || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    const check = contract.checkRequest({
      method,
      path,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      body: rawBody,
    });
    let answer: HttpAnswer;
    if (!check.ok) {
      violations.push(`${method} ${path}${url.search}: ${check.problem}`);
      answer = error(400, `contract violation: ${check.problem}`);
    } else {
      answer = await answerChecked(req, check.operation, url, path, method);
      if (answer.status < 300) {
        for (const problem of contract.checkResponse(
          check.operation.template,
          check.operation.method,
          answer.status,
          answer.body,
        )) {
          answerProblems.push(problem);
        }
      }
    }
    requests.push({ method, path: `${path}${url.search}`, status: answer.status });
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...(text === '' ? {} : { 'content-type': 'application/json;charset=utf-8' }),
      ...answer.headers,
    });
    res.end(text);
  }

  async function answerChecked(
    req: IncomingMessage,
    op: MatchedOperation,
    url: URL,
    path: string,
    method: string,
  ) {
    const fault = faults.find(
      (f) =>
        f.left > 0 &&
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.path || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))),
    );
    if (fault) {
      fault.left -= 1;
      return new HttpAnswer(
        fault.status,
        fault.body ?? { message: `injected ${fault.status}`, url: `${baseUrl}/api/swagger` },
        fault.headers ?? {},
      );
    }
    const random = drawFault(method);
    if (random) {
      if (random.lost) await answerAuthorized(req, op, url, path);
      return new HttpAnswer(
        random.status,
        { message: `injected ${random.status}`, url: `${baseUrl}/api/swagger` },
        random.headers ?? {},
      );
    }
    return answerAuthorized(req, op, url, path);
  }

  async function answerAuthorized(req: IncomingMessage, op: MatchedOperation, url: URL, path: string) {
    // The version is public: `doctor` reads it before it knows whether the token works.
    if (op.operationId === 'getVersion') return new HttpAnswer(200, { version: GITEA_VERSION });
    const auth = req.headers.authorization ?? '';
    // The scheme word `token` is case-sensitive; `Bearer` works too.
    const token = /^token (\S+)$/.exec(auth)?.[1] ?? /^Bearer (\S+)$/.exec(auth)?.[1];
    const user = token === undefined ? undefined : [...users.values()].find((u) => u.token === token);
    if (!user) {
      // An unknown token is anonymous: private repos do not exist for it, other routes need a token.
      return op.template.startsWith('/repos/') ? notFound() : error(401, 'token is required');
    }
    const scope = scopeFor(op.method, op.template);
    if (!hasScope(user, scope)) {
      return error(
        403,
        `token does not have at least one of required scope(s), required=[${scope}], token scope=${user.scopes.join(',')}`,
      );
    }
    await syncRefs();
    return handle(op, user, url.searchParams, path);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', baseUrl);
      const rawBody = Buffer.concat(chunks);
      const work = async () => {
        if (url.pathname.startsWith('/api/v1/')) return answerApi(req, rawBody.toString('utf8'), res, url);
        const gitRepo = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/.exec(url.pathname);
        const repo = gitRepo ? repos.get(`${gitRepo[1]}/${gitRepo[2]}`.toLowerCase()) : undefined;
        if (gitRepo && repo) {
          const credentials = basicCredentials(req.headers.authorization);
          // Gitea's git HTTP also takes the API's `Authorization: token X` (its OAuth2 auth method).
          const headerToken = /^(?:token|Bearer) (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
          const user = [...users.values()].find(
            (u) =>
              u.token === headerToken || u.token === credentials?.password || u.token === credentials?.user,
          );
          if (!user) {
            // routers/web/repo/githttp.go: anonymous where auth is needed → 401 with a Basic challenge.
            res.writeHead(401, { 'www-authenticate': 'Basic realm="Gitea"', 'content-type': 'text/plain' });
            res.end('Unauthorized\n');
            return undefined;
          }
          const level = accessOf(repo, user);
          if (!level) {
            res.writeHead(404, { 'content-type': 'text/plain' });
            res.end('Repository not found\n');
            return undefined;
          }
          const random = chaos?.faults.git ? drawFault(req.method ?? 'GET') : undefined;
          if (random && !random.lost) {
            res.writeHead(random.status, { 'content-type': 'text/plain', ...random.headers });
            res.end(`injected ${random.status}\n`);
            return undefined;
          }
          // A lost answer: git's work is done (a push lands), but the client hears only the proxy's error.
          const target = random ? discardingResponse() : res;
          await serveGit(req, target, rawBody, repo.bare, gitRepo[3] ?? '/', url.search.slice(1), {
            login: user.login,
            canPush: level !== 'read',
            branchRules: branchRulesFor(repo, user),
          });
          if (random) {
            res.writeHead(random.status, { 'content-type': 'text/plain', ...random.headers });
            res.end(`injected ${random.status}\n`);
          }
          return syncRefs();
        }
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not found.\n');
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
  render = createRenderer(baseUrl);

  const locked = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const double: GiteaDouble = {
    url: baseUrl,
    violations,
    answerProblems,
    requests,
    deliveries,
    addUser(login, userOptions = {}) {
      const user: DoubleUser = {
        id: ids.user++,
        login,
        email: `${login}@example.test`,
        token: userOptions.token ?? randomBytes(20).toString('hex'),
        scopes: userOptions.scopes ?? ['write:repository', 'write:issue', 'read:organization', 'read:user'],
        siteAdmin: userOptions.siteAdmin ?? false,
      };
      users.set(login.toLowerCase(), user);
      return user;
    },
    async addRepo(repoOptions) {
      const repo: DoubleRepo = {
        id: ids.repo++,
        owner: repoOptions.owner,
        name: repoOptions.name,
        bare: repoOptions.bare,
        defaultBranch: repoOptions.defaultBranch ?? 'main',
        access: new Map(Object.entries(repoOptions.access ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      };
      repos.set(fullName(repo).toLowerCase(), repo);
      knownRefs.set(fullName(repo), await listBranches(repo));
      return repo;
    },
    setAccess(name, login, level) {
      const repo = repoOf(name);
      if (level === 'none') repo.access.delete(login.toLowerCase());
      else repo.access.set(login.toLowerCase(), level);
    },
    addTeam(org, name, members) {
      const team: DoubleTeam = {
        id: ids.team++,
        org,
        name,
        members: new Set(members.map((m) => m.toLowerCase())),
      };
      teams.push(team);
      return team;
    },
    setTeamMember(org, name, login, member) {
      const team = teamsOf(org).find((t) => t.name.toLowerCase() === name.toLowerCase());
      if (!team) throw new Error(`no team ${org}/${name} in the Gitea double`);
      if (member) team.members.add(login.toLowerCase());
      else team.members.delete(login.toLowerCase());
    },
    openPullRequest(name, pr) {
      return locked(async () => {
        await syncRefs();
        const created = await createPull(
          repoOf(name),
          userOf(pr.author),
          pr.head,
          pr.base,
          pr.title,
          pr.body ?? '',
        );
        if (created instanceof HttpAnswer)
          throw new Error(`cannot open the PR: ${JSON.stringify(created.body)}`);
        return created;
      });
    },
    openIssue(name, issue) {
      return locked(() => {
        const repo = repoOf(name);
        const index = nextIndex(repo);
        issues.push({
          id: ids.pull++,
          repo,
          index,
          author: userOf(issue.author),
          title: issue.title,
          body: issue.body ?? '',
          createdAt: now(),
        });
        return Promise.resolve({ index });
      });
    },
    comment(name, index, author, body) {
      return locked(async () => {
        const c = await addComment(repoOf(name), index, userOf(author), body);
        if (!c) throw new Error(`no PR #${index} in ${name}`);
        return c;
      });
    },
    review(name, index, reviewer, state, body = '') {
      return locked(async () => {
        const p = pulls.find((x) => x.repo === repoOf(name) && x.index === index);
        if (!p) throw new Error(`no PR #${index} in ${name}`);
        return addReview(p, userOf(reviewer), state, body);
      });
    },
    merge(name, index, login, style = 'merge') {
      return locked(async () => {
        await syncRefs();
        const repo = repoOf(name);
        const user = userOf(login);
        const p = pulls.find((x) => x.repo === repo && x.index === index);
        return (await merge(repo, accessOf(repo, user) ?? 'read', user, p, { do: style })).status;
      });
    },
    syncRefs: () => locked(syncRefs),
    protectBranch(name, branch, rule) {
      const repo = repoOf(name);
      const key = `${repo.owner}/${repo.name}:${branch}`.toLowerCase();
      if (rule === undefined) protections.delete(key);
      else {
        const at = now();
        const pushers = rule.pushers;
        const forcePush = rule.forcePush ?? false;
        protections.set(key, {
          ...ZERO_PROTECTION,
          rule_name: branch,
          branch_name: branch,
          priority:
            Number(protections.get(key)?.priority ?? 0) ||
            Math.max(0, ...rulesOfRepo(repo).map((r) => Number(r.priority ?? 0))) + 1,
          enable_force_push: forcePush !== false,
          enable_force_push_allowlist: Array.isArray(forcePush),
          force_push_allowlist_usernames: Array.isArray(forcePush) ? forcePush : [],
          required_approvals: rule.requiredApprovals ?? 0,
          enable_status_check: (rule.statusChecks ?? []).length > 0,
          status_check_contexts: rule.statusChecks ?? [],
          // As set by hand in the UI: pushes by every writer unless `pushers` names who may.
          enable_push: true,
          enable_push_whitelist: pushers !== undefined,
          push_whitelist_usernames: pushers ?? [],
          created_at: at,
          updated_at: at,
        });
      }
    },
    protections(name) {
      const prefix = `${name}:`.toLowerCase();
      return [...protections].filter(([key]) => key.startsWith(prefix)).map(([, rule]) => rule);
    },
    holdMergeCheck(name, index, held) {
      const p = pulls.find((x) => x.repo === repoOf(name) && x.index === index);
      if (p) p.checking = held;
    },
    pull: (name, index) => pulls.find((p) => p.repo === repoOf(name) && p.index === index),
    pulls: (name) => pulls.filter((p) => p.repo === repoOf(name)),
    comments: (name, index) => comments.filter((c) => c.repo === repoOf(name) && c.index === index),
    statuses: (name, sha) => statuses.filter((s) => s.repo === repoOf(name) && s.sha === sha),
    hooks: (name) => hooks.filter((h) => h.repo === repoOf(name)),
    failNext(rule) {
      faults.push({ ...rule, left: rule.times ?? 1 });
    },
    randomFaults(random) {
      chaos = random ? { faults: random, next: seededRandom(random.seed), turn: 0 } : undefined;
    },
    faultCounts,
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

const DEFAULT_FAULT_ANSWERS: NonNullable<RandomFaults['answers']> = [
  { status: 500 },
  { status: 502 },
  { status: 429, headers: { 'retry-after': '1' } },
];

/** A stand-in response that swallows what is written to it: the work is done, the answer goes nowhere. */
function discardingResponse(): ServerResponse {
  // serveGit writes only through these two.
  const sink = { writeHead: () => sink, end: () => sink };
  return sink as unknown as ServerResponse;
}

/** A new rule's fields as Gitea stores them when not sent (Go's zero values). */
const ZERO_PROTECTION: Json = {
  rule_name: '',
  branch_name: '',
  priority: 0,
  enable_push: false,
  enable_push_whitelist: false,
  push_whitelist_usernames: [],
  push_whitelist_teams: [],
  push_whitelist_deploy_keys: false,
  enable_force_push: false,
  enable_force_push_allowlist: false,
  force_push_allowlist_usernames: [],
  force_push_allowlist_teams: [],
  force_push_allowlist_deploy_keys: false,
  enable_merge_whitelist: false,
  merge_whitelist_usernames: [],
  merge_whitelist_teams: [],
  enable_status_check: false,
  status_check_contexts: [],
  required_approvals: 0,
  enable_approvals_whitelist: false,
  approvals_whitelist_username: [],
  approvals_whitelist_teams: [],
  block_on_rejected_reviews: false,
  block_on_official_review_requests: false,
  block_on_outdated_branch: false,
  dismiss_stale_approvals: false,
  ignore_stale_approvals: false,
  require_signed_commits: false,
  protected_file_patterns: '',
  unprotected_file_patterns: '',
  block_admin_merge_override: false,
  enable_bypass_allowlist: false,
  bypass_allowlist_usernames: [],
  bypass_allowlist_teams: [],
};

/** What the double acts on of a rule. */
interface ProtectionView {
  ruleName: string;
  enableForcePush: boolean;
  enableForcePushAllowlist: boolean;
  forcePushUsers: string[];
  forcePushTeams: string[];
  requiredApprovals: number;
  enableStatusCheck: boolean;
  statusChecks: string[];
  enablePush: boolean;
  enablePushWhitelist: boolean;
  pushUsers: string[];
  pushTeams: string[];
}

function viewOf(rule: Json): ProtectionView {
  const strings = (value: unknown) => (Array.isArray(value) ? (value as string[]) : []);
  return {
    ruleName: String(rule.rule_name),
    enableForcePush: rule.enable_force_push === true,
    enableForcePushAllowlist: rule.enable_force_push_allowlist === true,
    forcePushUsers: strings(rule.force_push_allowlist_usernames).map((u) => u.toLowerCase()),
    forcePushTeams: strings(rule.force_push_allowlist_teams).map((t) => t.toLowerCase()),
    requiredApprovals: Number(rule.required_approvals ?? 0),
    enableStatusCheck: rule.enable_status_check === true,
    statusChecks: strings(rule.status_check_contexts),
    enablePush: rule.enable_push === true,
    enablePushWhitelist: rule.enable_push_whitelist === true,
    pushUsers: strings(rule.push_whitelist_usernames).map((u) => u.toLowerCase()),
    pushTeams: strings(rule.push_whitelist_teams).map((t) => t.toLowerCase()),
  };
}

/** Gitea ≤ 1.24 combines statuses worst-first; with none the combined state is the empty string. */
function combine(states: string[]): string {
  if (states.length === 0) return '';
  for (const worst of ['error', 'failure', 'warning', 'pending', 'success', 'skipped']) {
    if (states.includes(worst)) return worst;
  }
  return 'success';
}
