import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccessError, PermanentError, TransientError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createGiteaHost } from '../../src/hosts/gitea/scm/index.js';
import { repoRef, type ScmHost } from '../../src/scm/types.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import {
  createTempRepo,
  git,
  GIT_TEST_ENV,
  pushBranch as pushBranchOf,
  type TempRepo,
} from '../support/git.js';

const run = promisify(execFile);

const logger = createLogger({ level: 'silent' });
const repo = repoRef('bootcamp/notes-deploy');
const FAST_RETRY = { attempts: 3, baseDelayMs: 10, maxWaitMs: 2_000 };

let double: GiteaDouble;
let deploy: TempRepo;
let host: ScmHost;
let botToken: string;

/** Pushes a branch of the deploy repo with one commit changing `file`; returns the branch head. */
const pushBranch = (branch: string, file: string, content: string, from?: string) =>
  pushBranchOf(deploy, branch, file, content, from);

/** `git ls-remote` without blocking the event loop the double runs on. */
async function lsRemote(url: string, ref: string): Promise<string> {
  const { stdout } = await run('git', ['ls-remote', url, ref], {
    env: { ...GIT_TEST_ENV, GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout.split('\t')[0] ?? '';
}

beforeAll(async () => {
  deploy = createTempRepo({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:1a2b3c4\n' });
  double = await startGiteaDouble();
  botToken = double.addUser('promobot').token;
  double.addUser('alice');
  double.addUser('bob');
  double.addUser('carol');
  await double.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { promobot: 'admin', alice: 'write', bob: 'read' },
  });
  // Gitea shows a team's members only to its members (reqTeamMembership): the bot is in the approvers' team.
  double.addTeam('bootcamp', 'sre', ['alice', 'promobot']);
  double.addTeam('bootcamp', 'release', ['carol']);
  host = createGiteaHost({ baseUrl: double.url, token: botToken, logger, retry: FAST_RETRY });
});

afterEach(() => {
  // Read and cleared per test, so one broken request is blamed on the test that sent it.
  const violations = double.violations.splice(0);
  const answerProblems = double.answerProblems.splice(0);
  expect(violations).toEqual([]);
  expect(answerProblems).toEqual([]);
});

afterAll(async () => {
  await double?.close();
  deploy?.cleanup();
});

describe('scm/gitea', () => {
  // Creating, finding, updating and listing PRs: test/scm/scm-host.contract.test.ts.
  describe('pull requests', () => {
    it('skips an old closed PR for the same branches and finds the open one beside it', async () => {
      pushBranch('promobot/staging/chat-ui', 'chat-ui/staging.txt', 'one\n');
      const old = await host.createPullRequest(repo, {
        head: 'promobot/staging/chat-ui',
        base: 'main',
        title: 'old',
        body: '',
      });
      await host.closePullRequest(repo, old.number);
      expect(await host.findOpenPullRequest(repo, 'promobot/staging/chat-ui', 'main')).toBeNull();

      const fresh = await host.createPullRequest(repo, {
        head: 'promobot/staging/chat-ui',
        base: 'main',
        title: 'new',
        body: '',
      });
      const found = await host.findOpenPullRequest(repo, 'promobot/staging/chat-ui', 'main');
      expect(found?.number).toBe(fresh.number);
      await host.closePullRequest(repo, fresh.number);
      expect((await host.getPullRequest(repo, fresh.number)).state).toBe('closed');
    });
  });

  describe('mergePullRequest()', () => {
    it('merges for real: the base branch of the bare repo gets a merge commit with the change', async () => {
      const head = pushBranch('promobot/dev/chat-ui', 'chat-ui/dev.txt', 'v2\n');
      const pr = await host.createPullRequest(repo, {
        head: 'promobot/dev/chat-ui',
        base: 'main',
        title: 'promote dev',
        body: '',
      });
      const result = await host.mergePullRequest(repo, pr.number, { method: 'merge', headSha: head });
      expect(result).toMatchObject({ merged: true });
      const mainSha = git(deploy.bare, 'rev-parse', 'main');
      expect(result).toEqual({ merged: true, sha: mainSha });
      expect(git(deploy.bare, 'show', 'main:chat-ui/dev.txt')).toBe('v2');
      expect(git(deploy.bare, 'rev-list', '--parents', '-n', '1', 'main').split(' ')).toContain(head);
      expect(await host.getPullRequest(repo, pr.number)).toMatchObject({
        state: 'closed',
        merged: true,
        mergeCommitSha: mainSha,
      });
    });

    it('reports an already merged PR (405 with an empty body) as already merged, not as a failure to retry', async () => {
      const merged = double.pulls('bootcamp/notes-deploy').find((p) => p.merged)!;
      expect(await host.mergePullRequest(repo, merged.index, { method: 'merge' })).toEqual({
        merged: false,
        reason: 'already merged',
        retryable: false,
        alreadyMerged: true,
      });
    });

    it('says "retry later" while Gitea is still checking mergeability (405 "Please try again later")', async () => {
      pushBranch('promobot/qa/chat-ui', 'chat-ui/qa.txt', 'qa\n');
      const pr = await host.createPullRequest(repo, {
        head: 'promobot/qa/chat-ui',
        base: 'main',
        title: 'qa',
        body: '',
      });
      double.holdMergeCheck('bootcamp/notes-deploy', pr.number, true);
      expect(await host.mergePullRequest(repo, pr.number, { method: 'merge' })).toMatchObject({
        merged: false,
        retryable: true,
        alreadyMerged: false,
      });
      double.holdMergeCheck('bootcamp/notes-deploy', pr.number, false);
      expect(await host.mergePullRequest(repo, pr.number, { method: 'squash' })).toMatchObject({
        merged: true,
      });
      expect(git(deploy.bare, 'log', '-1', '--format=%s', 'main')).toBe(`qa (#${pr.number})`);
    });

    it('refuses to merge when the head moved since it was checked (409), leaving the base alone', async () => {
      pushBranch('promobot/perf/chat-ui', 'chat-ui/perf.txt', 'perf\n');
      const pr = await host.createPullRequest(repo, {
        head: 'promobot/perf/chat-ui',
        base: 'main',
        title: 'perf',
        body: '',
      });
      const before = git(deploy.bare, 'rev-parse', 'main');
      const result = await host.mergePullRequest(repo, pr.number, {
        method: 'merge',
        headSha: '0'.repeat(40),
      });
      expect(result).toMatchObject({ merged: false, retryable: false, alreadyMerged: false });
      expect(git(deploy.bare, 'rev-parse', 'main')).toBe(before);
    });

    it('reports a conflict with the base branch as not mergeable', async () => {
      pushBranch('promobot/conflict/chat-ui', 'chat-ui/prod/deployment.yaml', 'image: chat-ui:aaaaaaa\n');
      deploy.pull();
      deploy.commit({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:bbbbbbb\n' }, 'someone edits prod');
      const pr = await host.createPullRequest(repo, {
        head: 'promobot/conflict/chat-ui',
        base: 'main',
        title: 'c',
        body: '',
      });
      expect(pr.mergeable).toBe(false);
      const result = await host.mergePullRequest(repo, pr.number, { method: 'merge' });
      expect(result).toMatchObject({ merged: false, alreadyMerged: false });
      expect(git(deploy.bare, 'show', 'main:chat-ui/prod/deployment.yaml')).toBe('image: chat-ui:bbbbbbb');
    });
  });

  describe('permissions and teams', () => {
    it('reads the bot itself as admin of the deploy repo (test/scm/scm-host.contract.test.ts reads the others)', async () => {
      expect(await host.getPermission(repo, 'promobot')).toBe('admin');
    });

    it('tells team members from others, and an unknown team has no members', async () => {
      expect(await host.isTeamMember('bootcamp', 'sre', 'alice')).toBe(true);
      expect(await host.isTeamMember('bootcamp', 'SRE', 'bob')).toBe(false);
      expect(await host.isTeamMember('bootcamp', 'nosuchteam', 'alice')).toBe(false);
    });

    it("throws an AccessError naming repo admin when the bot, only a writer, may not read others' permissions", async () => {
      double.setAccess('bootcamp/notes-deploy', 'promobot', 'write');
      try {
        const error = await host.getPermission(repo, 'alice').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AccessError);
        expect(error).toMatchObject({ capability: 'read-permission' });
        expect((error as AccessError).message).toMatch(
          /could not read @alice's permission on bootcamp\/notes-deploy/,
        );
        expect((error as AccessError).advice).toMatch(
          /make promobot's Gitea user promobot an administrator of bootcamp\/notes-deploy/,
        );
      } finally {
        double.setAccess('bootcamp/notes-deploy', 'promobot', 'admin');
      }
    });

    it('throws an AccessError, never "not a member", when the bot is in the org but not in the approvers\' team', async () => {
      const error = await host.isTeamMember('bootcamp', 'release', 'carol').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessError);
      expect(error).toMatchObject({ capability: 'read-team-members' });
      expect((error as AccessError).advice).toMatch(
        /add promobot's Gitea user promobot to the team bootcamp\/release/,
      );
    });

    it('throws an AccessError when the bot is outside the organization (Must be an organization member)', async () => {
      double.addTeam('acme', 'sre', ['alice']);
      const error = await host.isTeamMember('acme', 'sre', 'alice').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessError);
      expect(error).toMatchObject({ capability: 'read-org-teams' });
      expect((error as AccessError).message).toMatch(/Must be an organization member/);
      const unknown = await host.isTeamMember('nowhere', 'sre', 'alice').catch((e: unknown) => e);
      expect(unknown).toMatchObject({ capability: 'read-org-teams' });
    });
  });

  describe('listRepoComments()', () => {
    it('lists the comments of every issue and PR of the repo, telling which number each is on and whether a PR', async () => {
      pushBranch('promobot/stop/chat-ui', 'chat-ui/stop.txt', 'stop\n');
      const pr = await host.createPullRequest(repo, {
        head: 'promobot/stop/chat-ui',
        base: 'main',
        title: 'stop',
        body: '',
      });
      const issue = await double.openIssue('bootcamp/notes-deploy', { author: 'alice', title: 'incident' });
      const onIssue = await double.comment('bootcamp/notes-deploy', issue.index, 'alice', '/hold all');
      const onPr = await host.createComment(repo, pr.number, 'on the PR');
      const all = await host.listRepoComments!(repo);
      expect(all.find((c) => c.id === onIssue.id)).toMatchObject({
        number: issue.index,
        pullRequest: false,
        author: 'alice',
        body: '/hold all',
      });
      expect(all.find((c) => c.id === onPr.id)).toMatchObject({ number: pr.number, pullRequest: true });
      expect(all.map((c) => c.id)).toEqual([...all.map((c) => c.id)].sort((a, b) => a - b));
    });
  });

  describe('errors', () => {
    it('turns a 401 into a PermanentError whose advice names the scope', async () => {
      const stranger = createGiteaHost({
        baseUrl: double.url,
        token: 'not-a-token',
        logger,
        retry: FAST_RETRY,
      });
      const error = await stranger.whoAmI().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).message).toMatch(/401/);
      expect((error as PermanentError).advice).toMatch(/the token needs read:user/);
    });

    it('turns a missing scope (403) into a PermanentError that says "the token needs write:repository"', async () => {
      const weak = double.addUser('weakbot', { scopes: ['read:repository', 'write:issue'] });
      double.setAccess('bootcamp/notes-deploy', 'weakbot', 'write');
      const weakHost = createGiteaHost({ baseUrl: double.url, token: weak.token, logger, retry: FAST_RETRY });
      const error = await weakHost
        .setCommitStatus(repo, git(deploy.bare, 'rev-parse', 'main'), {
          context: 'promobot/x',
          state: 'pending',
          description: '',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).advice).toMatch(/the token needs write:repository/);
    });

    it('retries a 500 and succeeds when Gitea recovers', async () => {
      double.failNext({ method: 'GET', path: '/user', status: 500, times: 2 });
      expect(await host.whoAmI()).toEqual({ login: 'promobot' });
    });

    it('gives up on a 500 that persists with a TransientError, after a bounded number of attempts', async () => {
      const before = double.requests.length;
      double.failNext({ method: 'GET', path: '/user', status: 500, times: FAST_RETRY.attempts });
      const error = await host.whoAmI().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect(double.requests.length - before).toBe(FAST_RETRY.attempts);
      expect(await host.whoAmI()).toEqual({ login: 'promobot' });
    });

    it('waits as long as Retry-After says before trying again', async () => {
      double.failNext({ method: 'GET', path: '/user', status: 429, headers: { 'retry-after': '1' } });
      const started = Date.now();
      expect(await host.whoAmI()).toEqual({ login: 'promobot' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    });

    it('retries a 429 after its Retry-After, then gives up with a TransientError', async () => {
      const before = double.requests.length;
      double.failNext({
        method: 'GET',
        path: '/user',
        status: 429,
        headers: { 'retry-after': '0' },
        times: 3,
      });
      const error = await host.whoAmI().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect(
        double.requests.slice(before).filter((r) => r.path === '/user' && r.status === 429),
      ).toHaveLength(3);
    });

    it('hands a long Retry-After to the caller at once instead of blocking', async () => {
      double.failNext({ method: 'GET', path: '/user', status: 429, headers: { 'retry-after': '120' } });
      const error = await host.whoAmI().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect((error as TransientError).retryAfterMs).toBe(120_000);
      expect(await host.whoAmI()).toEqual({ login: 'promobot' });
    });

    it('maps a 404 repo to a PermanentError', async () => {
      const error = await host.getPullRequest(repoRef('bootcamp/missing'), 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentError);
    });
  });

  describe('cloneUrl()', () => {
    // Served to the token: test/scm/scm-host.contract.test.ts.
    it('points at the repo on Gitea without credentials, and the double refuses git HTTP without the token', async () => {
      const url = host.cloneUrl(repo);
      expect(url).toBe(`${double.url}/bootcamp/notes-deploy.git`);
      await expect(lsRemote(url, 'refs/heads/main')).rejects.toThrow(
        /Authentication failed|could not read Username/,
      );
    });
  });
});
