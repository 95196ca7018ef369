import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger/index.js';
import { createGiteaHost } from '../../src/hosts/gitea/scm/index.js';
import { createGitHubHost } from '../../src/hosts/github/scm/index.js';
import { repoRef, type ScmHost } from '../../src/scm/types.js';
import { startGiteaDouble } from '../doubles/gitea/index.js';
import { startGitHubDouble } from '../doubles/github/index.js';
import {
  createTempRepo,
  git,
  GIT_TEST_ENV,
  pushBranch as pushBranchOf,
  type TempRepo,
} from '../support/git.js';

/**
 * The behaviours of the SCM port (`ScmHost`, src/scm/types.ts) every adapter keeps, run against each adapter on its
 * host's strict double. What truly differs between hosts (error mapping, rate limits, teams, merge refusals, the
 * webhooks a merge sends) stays in test/scm/{gitea,github}-host.test.ts.
 */

const run = promisify(execFile);
const logger = createLogger({ level: 'silent' });
const repo = repoRef('bootcamp/notes-deploy');

/** One host's double with the deploy repo, promobot's adapter on it, and what the contract needs to know of it. */
interface Fixture {
  host: ScmHost;
  botToken: string;
  /** The user name git sends the token with over HTTP. */
  gitUser: string;
  /** How many PRs of the deploy repo the double holds open. */
  openPulls(): number;
  /** A person comments on PR `number` (through the double, as a person would). */
  comment(number: number, login: string, body: string): Promise<{ id: number }>;
  /** The reactions on comment `id` of PR `number`, as [login, content]. */
  reactions(number: number, id: number): [string, string][];
  /** A person approves or asks for changes on PR `number`, in the host's words for it. */
  review(number: number, login: string, verdict: 'approve' | 'reject', body: string): Promise<unknown>;
  readonly violations: string[];
  readonly answerProblems: string[];
  close(): Promise<void>;
}

/** What the contract does through either double (both keep the same helpers), with the host's review verdicts. */
function onDouble<V extends string>(
  double: {
    readonly violations: string[];
    readonly answerProblems: string[];
    pulls(fullName: string): { state: string }[];
    comment(fullName: string, number: number, author: string, body: string): Promise<{ id: number }>;
    comments(
      fullName: string,
      number: number,
    ): { id: number; reactions: { user: { login: string }; content: string }[] }[];
    review(fullName: string, number: number, reviewer: string, state: V, body?: string): Promise<unknown>;
    close(): Promise<void>;
  },
  verdicts: Record<'approve' | 'reject', V>,
): Omit<Fixture, 'host' | 'botToken' | 'gitUser'> {
  const name = 'bootcamp/notes-deploy';
  return {
    openPulls: () => double.pulls(name).filter((p) => p.state === 'open').length,
    comment: (number, login, body) => double.comment(name, number, login, body),
    reactions: (number, id) =>
      (double.comments(name, number).find((c) => c.id === id)?.reactions ?? []).map((r): [string, string] => [
        r.user.login,
        r.content,
      ]),
    review: (number, login, verdict, body) => double.review(name, number, login, verdicts[verdict], body),
    violations: double.violations,
    answerProblems: double.answerProblems,
    close: () => double.close(),
  };
}

/**
 * Each host as the host tests set it up: alice may write and bob only read (GitHub's maintain and triage roles,
 * folded into write and read).
 */
const HOSTS: { kind: 'gitea' | 'github'; start(deploy: TempRepo): Promise<Fixture> }[] = [
  {
    kind: 'gitea',
    async start(deploy) {
      const double = await startGiteaDouble();
      const botToken = double.addUser('promobot').token;
      double.addUser('alice');
      double.addUser('bob');
      await double.addRepo({
        owner: 'bootcamp',
        name: 'notes-deploy',
        bare: deploy.bare,
        access: { promobot: 'admin', alice: 'write', bob: 'read' },
      });
      return {
        host: createGiteaHost({
          baseUrl: double.url,
          token: botToken,
          logger,
          retry: { attempts: 3, baseDelayMs: 10, maxWaitMs: 2_000 },
        }),
        botToken,
        gitUser: 'promobot',
        ...onDouble(double, { approve: 'APPROVED', reject: 'REQUEST_CHANGES' }),
      };
    },
  },
  {
    kind: 'github',
    async start(deploy) {
      const double = await startGitHubDouble();
      const botToken = double.addUser('promobot').token;
      double.addUser('alice');
      double.addUser('bob');
      await double.addRepo({
        owner: 'bootcamp',
        name: 'notes-deploy',
        bare: deploy.bare,
        access: { promobot: 'write', alice: 'maintain', bob: 'triage' },
      });
      return {
        // Throttling paces writes 1 s apart against api.github.com; the double needs no pacing.
        host: createGitHubHost({
          baseUrl: double.url,
          token: botToken,
          logger,
          retry: { retryAfterBaseValue: 5 },
          throttle: { enabled: false },
        }),
        botToken,
        gitUser: 'x-access-token',
        ...onDouble(double, { approve: 'APPROVED', reject: 'CHANGES_REQUESTED' }),
      };
    },
  },
];

describe.each(HOSTS)('ScmHost contract: $kind', ({ kind, start }) => {
  let deploy: TempRepo;
  let fixture: Fixture;
  let host: ScmHost;

  /** Pushes a branch of the deploy repo with one commit changing `file`; returns the branch head. */
  const pushBranch = (branch: string, file: string, content: string, from?: string) =>
    pushBranchOf(deploy, branch, file, content, from);

  beforeAll(async () => {
    deploy = createTempRepo({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:1a2b3c4\n' });
    fixture = await start(deploy);
    host = fixture.host;
  });

  afterEach(() => {
    // Read and cleared per test, so one broken request is blamed on the test that sent it.
    const violations = fixture.violations.splice(0);
    const answerProblems = fixture.answerProblems.splice(0);
    expect(violations).toEqual([]);
    expect(answerProblems).toEqual([]);
  });

  afterAll(async () => {
    await fixture?.close();
    deploy?.cleanup();
  });

  it('names the account the token belongs to', async () => {
    expect(host.kind).toBe(kind);
    expect(await host.whoAmI()).toEqual({ login: 'promobot' });
  });

  it('reads no statuses on a fresh commit, then sets statuses and reads back the latest per context', async () => {
    const sha = git(deploy.bare, 'rev-parse', 'main');
    // Gitea's combined state of a fresh commit is "": still no status.
    expect(await host.listCommitStatuses(repo, sha)).toEqual([]);
    await host.setCommitStatus(repo, sha, {
      context: 'promobot/promotion',
      state: 'pending',
      description: 'waiting',
    });
    await host.setCommitStatus(repo, sha, {
      context: 'promobot/promotion',
      state: 'success',
      description: 'ready',
      targetUrl: 'https://promobot.example.com/p/1',
    });
    expect(await host.listCommitStatuses(repo, sha)).toEqual([
      {
        context: 'promobot/promotion',
        state: 'success',
        description: 'ready',
        targetUrl: 'https://promobot.example.com/p/1',
      },
    ]);
    await host.setCommitStatus(repo, sha, {
      context: 'promobot/gates',
      state: 'failure',
      description: 'ttft too high',
    });
    const read = await host.listCommitStatuses(repo, sha);
    expect(read).toHaveLength(2);
    expect(read).toContainEqual({
      context: 'promobot/promotion',
      state: 'success',
      description: 'ready',
      targetUrl: 'https://promobot.example.com/p/1',
    });
    expect(read).toContainEqual({
      context: 'promobot/gates',
      state: 'failure',
      description: 'ttft too high',
    });
  });

  it("reads each user's permission on the repo, the host's roles folded into levels", async () => {
    expect(await host.getPermission(repo, 'alice')).toBe('write');
    expect(await host.getPermission(repo, 'bob')).toBe('read');
    expect(await host.getPermission(repo, 'nobody')).toBe('none');
  });

  it('deletes the branch in the bare repo and accepts one already gone', async () => {
    pushBranch('promobot/tmp/chat-ui', 'tmp.txt', 'tmp\n');
    await host.deleteBranch(repo, 'promobot/tmp/chat-ui');
    expect(git(deploy.bare, 'branch', '--list', 'promobot/tmp/chat-ui')).toBe('');
    await host.deleteBranch(repo, 'promobot/tmp/chat-ui');
  });

  it('serves the clone URL over git HTTP to the token', async () => {
    const url = host.cloneUrl(repo).replace('http://', `http://${fixture.gitUser}:${fixture.botToken}@`);
    // `git ls-remote` without blocking the event loop the double runs on.
    const { stdout } = await run('git', ['ls-remote', url, 'refs/heads/main'], {
      env: { ...GIT_TEST_ENV, GIT_TERMINAL_PROMPT: '0' },
    });
    expect(stdout.split('\t')[0]).toBe(git(deploy.bare, 'rev-parse', 'main'));
  });

  it('creates a PR whose head is the branch tip, finds it by head and base, and nothing for other branches', async () => {
    const head = pushBranch(
      'promobot/prod/chat-ui',
      'chat-ui/prod/deployment.yaml',
      'image: chat-ui:3f9c2ab\n',
    );
    const created = await host.createPullRequest(repo, {
      head: 'promobot/prod/chat-ui',
      base: 'main',
      title: 'promote chat-ui to prod: 1a2b3c4 → 3f9c2ab',
      body: 'table',
    });
    expect(created).toMatchObject({
      state: 'open',
      merged: false,
      headSha: head,
      baseRef: 'main',
      author: 'promobot',
      body: 'table',
    });
    expect((await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main'))?.number).toBe(
      created.number,
    );
    expect(await host.findOpenPullRequest(repo, 'promobot/staging/nothing', 'main')).toBeNull();
    expect(await host.findOpenPullRequest(repo, 'promobot/prod/other', 'main')).toBeNull();
  });

  it('answers the existing PR instead of a duplicate when one is already open for the branches', async () => {
    const first = await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main');
    const again = await host.createPullRequest(repo, {
      head: 'promobot/prod/chat-ui',
      base: 'main',
      title: 't',
      body: 'b',
    });
    expect(again.number).toBe(first?.number);
    expect(fixture.openPulls()).toBe(1);
  });

  // Gitea answers the edit with 201, GitHub with 200.
  it('updates the title and body in place', async () => {
    const pr = (await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main'))!;
    const updated = await host.updatePullRequest(repo, pr.number, {
      title: 'promote chat-ui to prod: 1a2b3c4 → 9d8e7f6',
      body: 'new table',
    });
    expect(updated).toMatchObject({
      number: pr.number,
      title: 'promote chat-ui to prod: 1a2b3c4 → 9d8e7f6',
      body: 'new table',
    });
    expect((await host.getPullRequest(repo, pr.number)).body).toBe('new table');
  });

  it('lists open PRs, optionally only those into one base, and closes one', async () => {
    const pr = (await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main'))!;
    expect((await host.listOpenPullRequests(repo)).map((p) => p.headRef)).toContain('promobot/prod/chat-ui');
    expect((await host.listOpenPullRequests(repo, 'main')).map((p) => p.number)).toContain(pr.number);
    expect(await host.listOpenPullRequests(repo, 'release')).toEqual([]);
    pushBranch('promobot/closing/chat-ui', 'closing.txt', 'x\n');
    const tmp = await host.createPullRequest(repo, {
      head: 'promobot/closing/chat-ui',
      base: 'main',
      title: 'tmp',
      body: '',
    });
    await host.closePullRequest(repo, tmp.number);
    expect((await host.getPullRequest(repo, tmp.number)).state).toBe('closed');
  });

  it("creates, updates and lists comments, reacts to a person's comment, and lists reviews with their verdicts", async () => {
    const pr = (await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main'))!;
    const head = pr.headSha;
    const mine = await host.createComment(repo, pr.number, 'superseded by a newer build');
    expect(mine).toMatchObject({ author: 'promobot', body: 'superseded by a newer build' });
    const edited = await host.updateComment(repo, mine.id, 'superseded by 3f9c2ab');
    expect(edited).toMatchObject({ id: mine.id, body: 'superseded by 3f9c2ab' });

    const theirs = await fixture.comment(pr.number, 'alice', '/promote');
    await host.addReaction(repo, theirs.id, 'eyes');
    await host.addReaction(repo, theirs.id, '+1');
    expect(fixture.reactions(pr.number, theirs.id)).toEqual([
      ['promobot', 'eyes'],
      ['promobot', '+1'],
    ]);
    expect((await host.listComments(repo, pr.number)).map((c) => [c.author, c.body])).toEqual([
      ['promobot', 'superseded by 3f9c2ab'],
      ['alice', '/promote'],
    ]);
    // The repo-wide list (the global stop's rebuild): PR comments marked as such, with the number they are on.
    expect(
      (await host.listRepoComments!(repo))
        .filter((c) => c.number === pr.number)
        .map((c) => [c.id, c.body, c.pullRequest]),
    ).toEqual([
      [mine.id, 'superseded by 3f9c2ab', true],
      [theirs.id, '/promote', true],
    ]);

    await fixture.review(pr.number, 'alice', 'approve', 'ship it');
    await fixture.review(pr.number, 'bob', 'reject', 'not yet');
    expect((await host.listReviews(repo, pr.number)).map((r) => [r.reviewer, r.state, r.commitId])).toEqual([
      ['alice', 'approved', head],
      ['bob', 'rejected', head],
    ]);
  });
});
