import { describe, expect, it } from 'vitest';
import type { RepoRef } from '../../src/events/index.js';
import { createLogger } from '../../src/logger/index.js';
import { PromotionPolicy, type Environment } from '../../src/policy/index.js';
import { promotionCandidate } from '../../src/promotion/candidate-commit.js';
import type { Running } from '../../src/promotion/decide-promotions.js';
import { parsePromotionMeta, type PromotionMeta } from '../../src/promotion/promotion-meta.js';
import {
  PROMOTION_STATUS,
  reconcileApp,
  type DeployRepoPort,
  type ReconcileDeps,
} from '../../src/promotion/reconcile-app.js';
import { mergeRefusalMarker } from '../../src/promotion/report-merge-refusal.js';
import { renderPullRequestBody, renderPullRequestTitle } from '../../src/promotion/render-pull-request.js';
import type { Comment, CommitStatus, MergeResult, PullRequest, ScmHost } from '../../src/scm/types.js';

// reconcileApp against in-memory fakes of its two ports (ScmHost, DeployRepoPort): every call is recorded, so each
// test states what was written where. The e2e tests run the same code against the strict Gitea/GitHub doubles and
// real git; these pin its decisions one case at a time.

const IMAGE = 'harbor.example.com/bootcamp/chat-ui';
const OLD = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const MID = '2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c';
const NEW = '3f9c2ab5e0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5';
const BOT = 'promobot';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const REPO: RepoRef = { owner: 'bootcamp', name: 'notes-deploy', fullName: 'bootcamp/notes-deploy' };

function policyWith(staging: Partial<Record<string, unknown>> = {}) {
  return PromotionPolicy.parse({
    apiVersion: 'promobot.dev/v1alpha1',
    kind: 'PromotionPolicy',
    metadata: { name: 'chat' },
    spec: {
      deployRepo: { scm: 'gitea', repo: 'bootcamp/notes-deploy' },
      apps: [{ name: 'chat-ui', image: IMAGE }],
      environments: [
        { name: 'dev', path: '{{app}}/{{env}}', update: 'commit' },
        { name: 'staging', path: '{{app}}/{{env}}', update: 'pull-request', from: 'dev', ...staging },
      ],
    },
  });
}

/** Everything a fake port was asked to do, in order, as short lines. */
type Calls = string[];

/**
 * An in-memory code host: PRs, comments and statuses; calls reconcile never makes throw. As on a real host, a PR's
 * head is its branch's tip (`headOf`, read from the fake deploy repo).
 */
function fakeScm(
  calls: Calls,
  headOf: (branch: string) => string | undefined,
  merge: (pr: PullRequest) => MergeResult = () => ({ merged: true, sha: 'm1' }),
) {
  const prs = new Map<number, PullRequest>();
  const comments = new Map<number, Comment[]>();
  const statuses: { sha: string; status: CommitStatus }[] = [];
  let next = 1;
  const withHead = (pr: PullRequest): PullRequest => ({ ...pr, headSha: headOf(pr.headRef) ?? pr.headSha });
  const stored = (number: number) => {
    const pr = prs.get(number);
    if (!pr) throw new Error(`no PR #${number}`);
    return withHead(pr);
  };
  const unused = (name: string) => () => Promise.reject(new Error(`reconcileApp does not call ${name}`));
  const scm: ScmHost = {
    kind: 'gitea',
    whoAmI: unused('whoAmI'),
    async findOpenPullRequest(_repo, head, base) {
      calls.push(`find ${head} → ${base}`);
      return (
        [...prs.values()].find((p) => p.state === 'open' && p.headRef === head && p.baseRef === base) ?? null
      );
    },
    async getPullRequest(_repo, number) {
      calls.push(`get #${number}`);
      return { ...stored(number), mergeable: true };
    },
    async listOpenPullRequests(_repo, base) {
      return [...prs.values()].filter(
        (p) => p.state === 'open' && (base === undefined || p.baseRef === base),
      );
    },
    async createPullRequest(_repo, input) {
      const number = next++;
      calls.push(`create #${number} ${input.head} → ${input.base}`);
      const pr: PullRequest = {
        number,
        state: 'open',
        merged: false,
        title: input.title,
        body: input.body,
        headRef: input.head,
        headSha: headOf(input.head) ?? 'none',
        baseRef: input.base,
        author: BOT,
        url: `https://git.example.com/bootcamp/notes-deploy/pulls/${number}`,
        mergeable: true,
        mergeCommitSha: null,
      };
      prs.set(number, pr);
      return withHead(pr);
    },
    async updatePullRequest(_repo, number, change) {
      calls.push(`update #${number}`);
      const pr = { ...stored(number), ...change };
      prs.set(number, pr);
      return pr;
    },
    async closePullRequest(_repo, number) {
      calls.push(`close #${number}`);
      prs.set(number, { ...stored(number), state: 'closed' });
    },
    async mergePullRequest(_repo, number, options) {
      const pr = stored(number);
      calls.push(`merge #${number} ${options.method} at ${options.headSha ?? '?'}`);
      // As the hosts do: a merge names the head it judged, and a moved head is refused.
      if (options.headSha !== undefined && options.headSha !== pr.headSha)
        return { merged: false, reason: 'the head moved', retryable: false, alreadyMerged: false };
      const result = merge(pr);
      if (result.merged) prs.set(number, { ...pr, state: 'closed', merged: true });
      return result;
    },
    async setCommitStatus(_repo, sha, status) {
      calls.push(`status ${sha} ${status.context} ${status.state}`);
      statuses.push({ sha, status });
    },
    listCommitStatuses: unused('listCommitStatuses'),
    async createComment(_repo, number, body) {
      calls.push(`comment #${number}`);
      const list = comments.get(number) ?? [];
      const comment: Comment = {
        id: 1000 + list.length,
        author: BOT,
        body,
        createdAt: new Date(NOW).toISOString(),
        updatedAt: new Date(NOW).toISOString(),
      };
      comments.set(number, [...list, comment]);
      return comment;
    },
    updateComment: unused('updateComment'),
    async listComments(_repo, number) {
      return comments.get(number) ?? [];
    },
    listReviews: unused('listReviews'),
    addReaction: unused('addReaction'),
    getPermission: unused('getPermission'),
    isTeamMember: unused('isTeamMember'),
    async deleteBranch(_repo, branch) {
      calls.push(`delete ${branch}`);
    },
    cloneUrl: () => 'https://git.example.com/bootcamp/notes-deploy.git',
  };
  /** A PR as promobot left it earlier: its branch, body and metadata block. */
  const seed = (meta: PromotionMeta, headSha: string, author = BOT) => {
    const number = next++;
    const branch =
      meta.kind === 'rollback'
        ? `promobot/rollback/${meta.env}/${meta.app}`
        : `promobot/${meta.env}/${meta.app}`;
    prs.set(number, {
      number,
      state: 'open',
      merged: false,
      title: renderPullRequestTitle(meta),
      body: renderPullRequestBody({ meta, image: IMAGE }),
      headRef: branch,
      headSha,
      baseRef: 'main',
      author,
      url: `https://git.example.com/bootcamp/notes-deploy/pulls/${number}`,
      mergeable: true,
      mergeCommitSha: null,
    });
    return number;
  };
  return { scm, prs, comments, statuses, seed };
}

/** An in-memory deploy repo: what each environment runs, and the bot branches with who committed there. */
function fakeDeployRepo(calls: Calls, running: Record<string, Running>) {
  const branches = new Map<string, { head: string; foreign: boolean }>();
  const writes: Parameters<DeployRepoPort['writeBranch']>[0][] = [];
  let commits = 0;
  const port: DeployRepoPort = {
    // No environment here verifies its rollout, so ancestry is never asked.
    contains: () => Promise.reject(new Error('reconcileApp does not call contains here')),
    async readRunning(_app, environments) {
      return Object.fromEntries(
        environments.map((env) => [env.name, running[env.name] ?? { tag: null, since: null }]),
      );
    },
    async writeBranch(input) {
      const branch = branches.get(input.branch);
      if (branch?.foreign) {
        calls.push(`write ${input.branch} refused: foreign`);
        return { headSha: branch.head, foreign: true };
      }
      const head = `c${++commits}`;
      calls.push(`write ${input.branch} ${input.path} → ${head}`);
      writes.push(input);
      branches.set(input.branch, { head, foreign: false });
      return { headSha: head, foreign: false };
    },
    async hasForeignCommits(branch) {
      return branches.get(branch)?.foreign ?? false;
    },
    tagHistory: () => Promise.reject(new Error('reconcileApp does not read tag history')),
  };
  return { port, branches, writes };
}

const meta = (tag: string, previousTag: string | null): PromotionMeta => ({
  v: 1,
  policy: 'chat',
  app: 'chat-ui',
  env: 'staging',
  from: 'dev',
  tag,
  previousTag,
  kind: 'promotion',
});

function setUp(options: {
  staging?: Partial<Record<string, unknown>>;
  running?: Record<string, Running>;
  merge?: (pr: PullRequest) => MergeResult;
  readiness?: { ready: boolean; why: string; trailers?: string };
}) {
  const calls: Calls = [];
  const policy = policyWith(options.staging);
  const repo = fakeDeployRepo(
    calls,
    options.running ?? {
      dev: { tag: NEW, since: NOW - 60_000 },
      staging: { tag: OLD, since: NOW - 86_400_000 },
    },
  );
  const scm = fakeScm(calls, (branch) => repo.branches.get(branch)?.head, options.merge);
  const rechecks: { at: number; reason: string }[] = [];
  const candidates: string[] = [];
  const deps: ReconcileDeps = {
    scm: scm.scm,
    botLogin: BOT,
    repo: REPO,
    deployRepo: repo.port,
    logger: createLogger({ level: 'silent' }),
    now: () => NOW,
    scheduleRecheck: async (at, reason) => {
      rechecks.push({ at, reason });
    },
    onCandidate: async (pr, env: Environment, m) => {
      candidates.push(`#${pr.number} ${env.name} ${m.tag} at ${pr.headSha}`);
    },
    ...(options.readiness
      ? {
          mergeReadiness: async (pr: PullRequest) => {
            calls.push(`readiness #${pr.number}`);
            return options.readiness!;
          },
          mergeLock: async <T>(pr: PullRequest, run: () => Promise<T>) => {
            calls.push(`lock #${pr.number}`);
            try {
              return await run();
            } finally {
              calls.push(`unlock #${pr.number}`);
            }
          },
        }
      : {}),
  };
  const run = () => reconcileApp('chat', policy.spec, policy.spec.apps[0]!, deps);
  return { calls, policy, scm, repo, rechecks, candidates, run };
}

describe('promotion/reconcileApp() against fake ports', () => {
  it('opens a promotion PR: the candidate commit on the bot branch, the PR, a green promotion status', async () => {
    const t = setUp({});
    const result = await t.run();

    expect(result).toEqual({
      actions: [{ kind: 'open', env: 'staging', from: 'dev', tag: NEW, digest: undefined, previousTag: OLD }],
      merged: [],
    });
    expect(t.calls).toEqual([
      'write promobot/staging/chat-ui chat-ui/staging → c1',
      'find promobot/staging/chat-ui → main',
      'create #1 promobot/staging/chat-ui → main',
      `status c1 ${PROMOTION_STATUS} success`,
    ]);
    const app = t.policy.spec.apps[0]!;
    expect(t.repo.writes).toEqual([
      {
        branch: 'promobot/staging/chat-ui',
        path: 'chat-ui/staging',
        ...promotionCandidate(app, meta(NEW, OLD), t.policy.spec.commit.message),
      },
    ]);
    const pr = t.scm.prs.get(1)!;
    expect(pr.title).toBe('promote chat-ui to staging: 1a2b3c4 → 3f9c2ab');
    expect(parsePromotionMeta(pr.body)).toEqual(meta(NEW, OLD));
    expect(t.scm.statuses[0]?.status.description).toBe('chat-ui 3f9c2ab from dev');
    // The candidate is announced with the head just written; autoMerge is off and no approvals are asked, so no merge.
    expect(t.candidates).toEqual([`#1 staging ${NEW} at c1`]);
  });

  it('updates its open PR in place when a newer candidate arrives', async () => {
    const t = setUp({});
    const number = t.scm.seed(meta(MID, OLD), 'c0');

    const result = await t.run();

    expect(result.actions).toEqual([
      {
        kind: 'update',
        number,
        env: 'staging',
        from: 'dev',
        tag: NEW,
        digest: undefined,
        previousTag: OLD,
        soakingUntil: null,
      },
    ]);
    expect(t.calls).toEqual([
      'write promobot/staging/chat-ui chat-ui/staging → c1',
      `update #${number}`,
      `status c1 ${PROMOTION_STATUS} success`,
    ]);
    expect(t.scm.prs.size).toBe(1);
    expect(parsePromotionMeta(t.scm.prs.get(number)!.body)).toEqual(meta(NEW, OLD));
    expect(t.scm.prs.get(number)!.title).toBe('promote chat-ui to staging: 1a2b3c4 → 3f9c2ab');
    expect(t.candidates).toEqual([`#${number} staging ${NEW} at c1`]);
  });

  it('does nothing when the environment already runs the candidate and no PR is open', async () => {
    const t = setUp({
      running: { dev: { tag: NEW, since: NOW - 60_000 }, staging: { tag: NEW, since: NOW - 30_000 } },
    });
    expect(await t.run()).toEqual({ actions: [], merged: [] });
    expect(t.calls).toEqual([]);
    expect(t.repo.writes).toEqual([]);
  });

  it('keeps a PR that already carries the candidate: no commit, no PR edit, the status stays green', async () => {
    const t = setUp({});
    const number = t.scm.seed(meta(NEW, OLD), 'c0');
    const before = t.scm.prs.get(number);

    const result = await t.run();

    expect(result.actions).toEqual([{ kind: 'keep', number, env: 'staging', soakingUntil: null }]);
    expect(t.calls).toEqual([`status c0 ${PROMOTION_STATUS} success`]);
    expect(t.scm.prs.get(number)).toEqual(before);
  });

  it("stops at a person's commit on the bot branch: says so once, writes nothing", async () => {
    const t = setUp({});
    const number = t.scm.seed(meta(MID, OLD), 'c0');
    t.repo.branches.set('promobot/staging/chat-ui', { head: 'c0', foreign: true });

    const first = await t.run();
    const second = await t.run();

    expect(first.actions).toEqual([{ kind: 'hands-off', number, env: 'staging' }]);
    expect(second.actions).toEqual(first.actions);
    expect(t.calls).toEqual([`comment #${number}`]);
    expect(t.scm.comments.get(number)?.[0]?.body).toMatch(
      /^Someone else has committed to `promobot\/staging\/chat-ui`, so promobot will not update this PR any more/,
    );
    expect(t.repo.writes).toEqual([]);
  });

  it('opens no PR when a person committed to the bot branch before any PR existed', async () => {
    const t = setUp({});
    t.repo.branches.set('promobot/staging/chat-ui', { head: 'p1', foreign: true });

    const result = await t.run();

    expect(result.merged).toEqual([]);
    expect(t.calls).toEqual(['write promobot/staging/chat-ui refused: foreign']);
    expect(t.scm.prs.size).toBe(0);
  });

  it('merges when ready: readiness and merge under the PR lock, at the head it wrote, with the trailers', async () => {
    const t = setUp({
      staging: { autoMerge: true, mergeMethod: 'squash' },
      readiness: { ready: true, why: 'all gates passed', trailers: 'Promobot-Approved-By: alice' },
    });
    const merges: Parameters<ScmHost['mergePullRequest']>[2][] = [];
    const merge = t.scm.scm.mergePullRequest.bind(t.scm.scm);
    t.scm.scm.mergePullRequest = async (repo, number, options) => {
      merges.push(options);
      return merge(repo, number, options);
    };

    const result = await t.run();

    expect(result.merged).toEqual([1]);
    expect(t.calls.slice(-4)).toEqual(['lock #1', 'readiness #1', 'merge #1 squash at c1', 'unlock #1']);
    expect(merges).toEqual([
      {
        method: 'squash',
        headSha: 'c1',
        title: 'promote chat-ui to staging: 1a2b3c4 → 3f9c2ab',
        message: 'Promobot-Approved-By: alice',
      },
    ]);
    expect(t.scm.prs.get(1)).toMatchObject({ state: 'closed', merged: true });
  });

  it('does not merge a PR that is not ready, nor one whose environment leaves merging to people', async () => {
    const notReady = setUp({
      staging: { autoMerge: true },
      readiness: { ready: false, why: 'held by @alice' },
    });
    expect((await notReady.run()).merged).toEqual([]);
    expect(notReady.calls.slice(-3)).toEqual(['lock #1', 'readiness #1', 'unlock #1']);

    const people = setUp({
      staging: { autoMerge: true, merger: 'people' },
      readiness: { ready: true, why: 'all gates passed' },
    });
    expect((await people.run()).merged).toEqual([]);
    expect(people.calls.some((call) => call.startsWith('readiness') || call.startsWith('merge'))).toBe(false);
  });

  it('reports a merge the host refuses on the PR, once per head and reason', async () => {
    const reason = 'Not enough approvals on a protected branch';
    const t = setUp({
      staging: { autoMerge: true },
      readiness: { ready: true, why: 'all gates passed' },
      merge: () => ({ merged: false, reason, retryable: false, alreadyMerged: false }),
    });

    const first = await t.run();
    const second = await t.run();

    expect(first.merged).toEqual([]);
    expect(second.merged).toEqual([]);
    const comments = t.scm.comments.get(1) ?? [];
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain(`Gitea refused to merge it: “${reason}”`);
    expect(comments[0]?.body).toContain(mergeRefusalMarker('c1', reason));
    expect(t.rechecks).toEqual([]);
  });

  it('tries a merge the host could not do yet again later, and says nothing on the PR', async () => {
    const t = setUp({
      staging: { autoMerge: true },
      readiness: { ready: true, why: 'all gates passed' },
      merge: () => ({
        merged: false,
        reason: 'mergeability is being computed',
        retryable: true,
        alreadyMerged: false,
      }),
    });

    expect((await t.run()).merged).toEqual([]);
    expect(t.rechecks).toEqual([
      { at: NOW + 10_000, reason: 'merge of #1 retried: mergeability is being computed' },
    ]);
    expect(t.scm.comments.get(1)).toBeUndefined();
  });

  it('leaves a PR on a promobot branch alone when promobot did not open it', async () => {
    const t = setUp({});
    const number = t.scm.seed(meta(MID, OLD), 'x1', 'mallory');
    t.repo.branches.set('promobot/staging/chat-ui', { head: 'x1', foreign: true });
    const before = t.scm.prs.get(number);

    const result = await t.run();

    // Not the bot's PR, so not the open promotion: the bot would open its own, and its branch holds a person's work.
    expect(result).toEqual({
      actions: [{ kind: 'open', env: 'staging', from: 'dev', tag: NEW, digest: undefined, previousTag: OLD }],
      merged: [],
    });
    expect(t.calls).toEqual([]);
    expect(t.scm.prs.get(number)).toEqual(before);
  });

  it("does not take over a PR someone else opened on the bot's branch, nor open a second one there", async () => {
    const t = setUp({});
    // A person opened a PR from promobot's branch without committing to it (after a crash between push and create,
    // or on purpose): the branch holds only promobot's commits, but the PR is not promobot's.
    t.repo.branches.set('promobot/staging/chat-ui', { head: 'c0', foreign: false });
    const number = t.scm.seed(meta(MID, OLD), 'c0', 'mallory');
    const before = t.scm.prs.get(number);

    await t.run();
    await t.run();

    expect(t.calls.filter((call) => !call.startsWith('find '))).toEqual([]);
    expect(t.scm.prs.size).toBe(1);
    expect(t.scm.prs.get(number)).toEqual(before);
    expect(t.repo.writes).toEqual([]);
    expect(t.scm.statuses).toEqual([]);
    expect(t.candidates).toEqual([]);
  });

  it("does not take over a PR someone else opened on the bot's branch after the PRs were listed", async () => {
    const t = setUp({});
    t.repo.branches.set('promobot/staging/chat-ui', { head: 'c0', foreign: false });
    const number = t.scm.seed(meta(MID, OLD), 'c0', 'mallory');
    const before = t.scm.prs.get(number);
    // The listing was taken before the person opened their PR; the lookup before creating one sees it.
    t.scm.scm.listOpenPullRequests = async () => [];

    await t.run();

    expect(t.calls.filter((call) => !call.startsWith('write '))).toEqual([
      'find promobot/staging/chat-ui → main',
    ]);
    expect(t.scm.prs.size).toBe(1);
    expect(t.scm.prs.get(number)).toMatchObject({
      title: before?.title,
      body: before?.body,
      author: 'mallory',
    });
    expect(t.scm.statuses).toEqual([]);
    expect(t.candidates).toEqual([]);
  });
});
