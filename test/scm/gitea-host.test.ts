import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccessError, PermanentError, TransientError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createGiteaHost } from '../../src/hosts/gitea/scm/index.js';
import { repoRef, type ScmHost } from '../../src/scm/types.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';

const run = promisify(execFile);

const logger = createLogger({ level: 'silent' });
const repo = repoRef('bootcamp/notes-deploy');
const FAST_RETRY = { attempts: 3, baseDelayMs: 10, maxWaitMs: 2_000 };

let double: GiteaDouble;
let deploy: TempRepo;
let host: ScmHost;
let botToken: string;

/** Pushes a branch with one commit changing `file` (main is left alone); returns the branch head. */
function pushBranch(branch: string, file: string, content: string, from = 'main'): string {
  git(deploy.work, 'fetch', '--quiet', 'origin');
  git(deploy.work, 'checkout', '--quiet', '-B', branch, `origin/${from}`);
  mkdirSync(dirname(join(deploy.work, file)), { recursive: true });
  writeFileSync(join(deploy.work, file), content);
  git(deploy.work, 'add', '--all');
  git(deploy.work, 'commit', '--quiet', '-m', `change ${file} on ${branch}`);
  git(deploy.work, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`);
  const sha = git(deploy.work, 'rev-parse', 'HEAD');
  git(deploy.work, 'checkout', '--quiet', '-B', 'main', 'origin/main');
  return sha;
}

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
  describe('whoAmI()', () => {
    it('names the account the token belongs to', async () => {
      expect(await host.whoAmI()).toEqual({ login: 'promobot' });
    });
  });

  describe('pull requests', () => {
    it('creates a PR whose head is the branch tip in the bare repo, then finds it by head and base', async () => {
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
      });

      const found = await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main');
      expect(found?.number).toBe(created.number);
      expect(await host.findOpenPullRequest(repo, 'promobot/staging/nothing', 'main')).toBeNull();
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
      expect(double.pulls('bootcamp/notes-deploy').filter((p) => p.state === 'open')).toHaveLength(1);
    });

    it('updates the title and body in place (Gitea answers the edit with 201)', async () => {
      const pr = await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main');
      const updated = await host.updatePullRequest(repo, pr!.number, {
        title: 'promote chat-ui to prod: 1a2b3c4 → 9d8e7f6',
        body: 'new table',
      });
      expect(updated).toMatchObject({
        number: pr!.number,
        title: 'promote chat-ui to prod: 1a2b3c4 → 9d8e7f6',
        body: 'new table',
      });
      expect((await host.getPullRequest(repo, pr!.number)).body).toBe('new table');
    });

    it('lists open PRs, optionally only those into one base', async () => {
      const all = await host.listOpenPullRequests(repo);
      expect(all.map((p) => p.headRef)).toContain('promobot/prod/chat-ui');
      expect(await host.listOpenPullRequests(repo, 'release')).toEqual([]);
    });

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

  describe('commit statuses', () => {
    it('reads no statuses on a fresh commit (Gitea\'s combined state is "")', async () => {
      expect(await host.listCommitStatuses(repo, git(deploy.bare, 'rev-parse', 'main'))).toEqual([]);
    });

    it('sets statuses and reads back the latest per context', async () => {
      const sha = git(deploy.bare, 'rev-parse', 'main');
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
  });

  describe('comments, reactions and reviews', () => {
    it("creates, updates and lists comments, and reacts to a person's comment", async () => {
      const pr = await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main');
      const mine = await host.createComment(repo, pr!.number, 'superseded by a newer build');
      expect(mine).toMatchObject({ author: 'promobot', body: 'superseded by a newer build' });
      const edited = await host.updateComment(repo, mine.id, 'superseded by 3f9c2ab');
      expect(edited).toMatchObject({ id: mine.id, body: 'superseded by 3f9c2ab' });

      const theirs = await double.comment('bootcamp/notes-deploy', pr!.number, 'alice', '/promote');
      await host.addReaction(repo, theirs.id, 'eyes');
      expect(theirs.reactions.map((r) => [r.user.login, r.content])).toEqual([['promobot', 'eyes']]);

      const listed = await host.listComments(repo, pr!.number);
      expect(listed.map((c) => [c.author, c.body])).toEqual([
        ['promobot', 'superseded by 3f9c2ab'],
        ['alice', '/promote'],
      ]);
    });

    it('lists reviews with their verdicts', async () => {
      const pr = await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main');
      await double.review('bootcamp/notes-deploy', pr!.number, 'alice', 'APPROVED', 'ship it');
      await double.review('bootcamp/notes-deploy', pr!.number, 'bob', 'REQUEST_CHANGES', 'not yet');
      const reviews = await host.listReviews(repo, pr!.number);
      expect(reviews.map((r) => [r.reviewer, r.state, r.commitId])).toEqual([
        ['alice', 'approved', pr!.headSha],
        ['bob', 'rejected', pr!.headSha],
      ]);
    });
  });

  describe('permissions and teams', () => {
    it("reads each user's permission on the repo", async () => {
      expect(await host.getPermission(repo, 'alice')).toBe('write');
      expect(await host.getPermission(repo, 'bob')).toBe('read');
      expect(await host.getPermission(repo, 'promobot')).toBe('admin');
      expect(await host.getPermission(repo, 'nobody')).toBe('none');
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
      const pr = await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main');
      const issue = await double.openIssue('bootcamp/notes-deploy', { author: 'alice', title: 'incident' });
      const onIssue = await double.comment('bootcamp/notes-deploy', issue.index, 'alice', '/hold all');
      const onPr = await host.createComment(repo, pr!.number, 'on the PR');
      const all = await host.listRepoComments!(repo);
      expect(all.find((c) => c.id === onIssue.id)).toMatchObject({
        number: issue.index,
        pullRequest: false,
        author: 'alice',
        body: '/hold all',
      });
      expect(all.find((c) => c.id === onPr.id)).toMatchObject({ number: pr!.number, pullRequest: true });
      expect(all.map((c) => c.id)).toEqual([...all.map((c) => c.id)].sort((a, b) => a - b));
    });
  });

  describe('deleteBranch()', () => {
    it('deletes the branch in the bare repo and accepts one already gone', async () => {
      pushBranch('promobot/tmp/chat-ui', 'tmp.txt', 'tmp\n');
      await host.deleteBranch(repo, 'promobot/tmp/chat-ui');
      expect(git(deploy.bare, 'branch', '--list', 'promobot/tmp/chat-ui')).toBe('');
      await host.deleteBranch(repo, 'promobot/tmp/chat-ui');
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
    it('points at the repo on Gitea without credentials, and the double serves it over git HTTP to the token', async () => {
      const url = host.cloneUrl(repo);
      expect(url).toBe(`${double.url}/bootcamp/notes-deploy.git`);
      await expect(lsRemote(url, 'refs/heads/main')).rejects.toThrow(
        /Authentication failed|could not read Username/,
      );
      const withToken = url.replace('http://', `http://promobot:${botToken}@`);
      expect(await lsRemote(withToken, 'refs/heads/main')).toBe(git(deploy.bare, 'rev-parse', 'main'));
    });
  });
});
