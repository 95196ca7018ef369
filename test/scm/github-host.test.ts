import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccessError, PermanentError, TransientError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createGitHubHost } from '../../src/hosts/github/scm/index.js';
import { createScmHost } from '../../src/hosts/index.js';
import { repoRef, type ScmHost } from '../../src/scm/index.js';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/index.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';

const run = promisify(execFile);
const logger = createLogger({ level: 'silent' });
const repo = repoRef('bootcamp/notes-deploy');
const SECRET = 'github-hook-secret';
// Throttling paces writes 1 s apart against api.github.com; the double needs no pacing. Rate limits get their own host.
const FAST = { retry: { retryAfterBaseValue: 5 }, throttle: { enabled: false } };

let double: GitHubDouble;
let deploy: TempRepo;
let host: ScmHost;
let botToken: string;
let receiver: Server;
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

function pushBranch(branch: string, file: string, content: string): string {
  git(deploy.work, 'fetch', '--quiet', 'origin');
  git(deploy.work, 'checkout', '--quiet', '-B', branch, 'origin/main');
  mkdirSync(dirname(join(deploy.work, file)), { recursive: true });
  writeFileSync(join(deploy.work, file), content);
  git(deploy.work, 'add', '--all');
  git(deploy.work, 'commit', '--quiet', '-m', `change ${file} on ${branch}`);
  git(deploy.work, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`);
  const sha = git(deploy.work, 'rev-parse', 'HEAD');
  git(deploy.work, 'checkout', '--quiet', '-B', 'main', 'origin/main');
  return sha;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  deploy = createTempRepo({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:1a2b3c4\n' });
  double = await startGitHubDouble({
    webhook: {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/github`,
      secret: SECRET,
    },
  });
  botToken = double.addUser('promobot').token;
  double.addUser('alice');
  double.addUser('bob');
  await double.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { promobot: 'write', alice: 'maintain', bob: 'triage' },
  });
  // The bot is a member of the organization and the approvers' team is `closed`, so the bot sees it.
  double.addOrgMember('bootcamp', 'promobot');
  double.addTeam('bootcamp', 'sre', ['alice'], ['bob'], { privacy: 'closed' });
  host = createScmHost('github', { baseUrl: double.url, token: botToken, logger, ...FAST });
});

afterEach(() => {
  const violations = double.violations.splice(0);
  const answerProblems = double.answerProblems.splice(0);
  expect(violations).toEqual([]);
  expect(answerProblems).toEqual([]);
});

afterAll(async () => {
  await double?.close();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  deploy?.cleanup();
});

describe('scm/github', () => {
  it('names the account the token belongs to', async () => {
    expect(host.kind).toBe('github');
    expect(await host.whoAmI()).toEqual({ login: 'promobot' });
  });

  describe('pull requests', () => {
    it('creates a PR, finds it by head=owner:branch, and reuses it instead of duplicating', async () => {
      const head = pushBranch(
        'promobot/prod/chat-ui',
        'chat-ui/prod/deployment.yaml',
        'image: chat-ui:3f9c2ab\n',
      );
      const created = await host.createPullRequest(repo, {
        head: 'promobot/prod/chat-ui',
        base: 'main',
        title: 'promote chat-ui to prod',
        body: 'table',
      });
      expect(created).toMatchObject({
        state: 'open',
        merged: false,
        headSha: head,
        author: 'promobot',
        body: 'table',
      });
      expect((await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main'))?.number).toBe(
        created.number,
      );
      expect(await host.findOpenPullRequest(repo, 'promobot/prod/other', 'main')).toBeNull();
      const again = await host.createPullRequest(repo, {
        head: 'promobot/prod/chat-ui',
        base: 'main',
        title: 'x',
        body: '',
      });
      expect(again.number).toBe(created.number);
    });

    it('updates, lists and closes PRs', async () => {
      const pr = (await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main'))!;
      expect(await host.updatePullRequest(repo, pr.number, { body: 'new table' })).toMatchObject({
        body: 'new table',
      });
      expect((await host.listOpenPullRequests(repo, 'main')).map((p) => p.number)).toContain(pr.number);
      pushBranch('promobot/tmp/chat-ui', 'tmp.txt', 'x\n');
      const tmp = await host.createPullRequest(repo, {
        head: 'promobot/tmp/chat-ui',
        base: 'main',
        title: 'tmp',
        body: '',
      });
      await host.closePullRequest(repo, tmp.number);
      expect((await host.getPullRequest(repo, tmp.number)).state).toBe('closed');
    });
  });

  describe('mergePullRequest()', () => {
    it('merges into the bare repo for real and sends pull_request closed and push webhooks, signed', async () => {
      const head = pushBranch('promobot/staging/chat-ui', 'chat-ui/staging.txt', 'v2\n');
      const pr = await host.createPullRequest(repo, {
        head: 'promobot/staging/chat-ui',
        base: 'main',
        title: 'staging',
        body: '',
      });
      const result = await host.mergePullRequest(repo, pr.number, { method: 'merge', headSha: head });
      const main = git(deploy.bare, 'rev-parse', 'main');
      expect(result).toEqual({ merged: true, sha: main });
      expect(git(deploy.bare, 'show', 'main:chat-ui/staging.txt')).toBe('v2');

      await double.flush();
      const events = received.map((r) => ({
        event: r.headers['x-github-event'],
        body: JSON.parse(r.body) as Record<string, unknown>,
      }));
      expect(events.filter((e) => e.event === 'pull_request').at(-1)?.body).toMatchObject({
        action: 'closed',
        pull_request: { merged: true, merge_commit_sha: main },
      });
      expect(events.filter((e) => e.event === 'push').at(-1)?.body).toMatchObject({
        ref: 'refs/heads/main',
        after: main,
        pusher: { name: 'promobot' },
      });
      for (const r of received) {
        expect(r.headers['x-hub-signature-256']).toBe(
          `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`,
        );
        expect(r.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it('reports an already merged PR as already merged', async () => {
      const merged = double.pulls('bootcamp/notes-deploy').find((p) => p.merged)!;
      expect(await host.mergePullRequest(repo, merged.number, { method: 'merge' })).toMatchObject({
        merged: false,
        alreadyMerged: true,
        retryable: false,
      });
    });

    it('says retry later while GitHub computes mergeability, and refuses a moved head (409)', async () => {
      pushBranch('promobot/qa/chat-ui', 'qa.txt', 'qa\n');
      const pr = await host.createPullRequest(repo, {
        head: 'promobot/qa/chat-ui',
        base: 'main',
        title: 'qa',
        body: '',
      });
      double.holdMergeCheck('bootcamp/notes-deploy', pr.number, true);
      expect(await host.mergePullRequest(repo, pr.number, { method: 'squash' })).toMatchObject({
        merged: false,
        retryable: true,
      });
      double.holdMergeCheck('bootcamp/notes-deploy', pr.number, false);
      expect(
        await host.mergePullRequest(repo, pr.number, { method: 'squash', headSha: 'f'.repeat(40) }),
      ).toMatchObject({ merged: false, retryable: false, alreadyMerged: false });
      expect(await host.mergePullRequest(repo, pr.number, { method: 'squash' })).toMatchObject({
        merged: true,
      });
    });
  });

  describe('statuses, comments, reviews', () => {
    it('sets statuses and reads the latest per context', async () => {
      const sha = git(deploy.bare, 'rev-parse', 'main');
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
    });

    it('creates, updates and lists comments, reacts, and lists reviews', async () => {
      const pr = (await host.findOpenPullRequest(repo, 'promobot/prod/chat-ui', 'main'))!;
      const mine = await host.createComment(repo, pr.number, 'waiting for soak');
      expect((await host.updateComment(repo, mine.id, 'soak done')).body).toBe('soak done');
      const theirs = await double.comment('bootcamp/notes-deploy', pr.number, 'alice', '/approve');
      await host.addReaction(repo, theirs.id, '+1');
      expect((await host.listComments(repo, pr.number)).map((c) => [c.author, c.body])).toEqual([
        ['promobot', 'soak done'],
        ['alice', '/approve'],
      ]);
      // The repo-wide list: PR comments, marked as such by their web URL, with the number they are on.
      expect(
        (await host.listRepoComments!(repo))
          .filter((c) => c.number === pr.number)
          .map((c) => [c.id, c.body, c.pullRequest]),
      ).toEqual([
        [mine.id, 'soak done', true],
        [theirs.id, '/approve', true],
      ]);
      await double.review('bootcamp/notes-deploy', pr.number, 'alice', 'APPROVED', 'ship it');
      await double.review('bootcamp/notes-deploy', pr.number, 'bob', 'CHANGES_REQUESTED', 'wait');
      expect((await host.listReviews(repo, pr.number)).map((r) => [r.reviewer, r.state])).toEqual([
        ['alice', 'approved'],
        ['bob', 'rejected'],
      ]);
    });
  });

  describe('permissions and teams', () => {
    it('folds roles into permission levels', async () => {
      expect(await host.getPermission(repo, 'alice')).toBe('write');
      expect(await host.getPermission(repo, 'bob')).toBe('read');
      expect(await host.getPermission(repo, 'nobody')).toBe('none');
    });

    it('counts only active team members, by slug', async () => {
      expect(await host.isTeamMember('bootcamp', 'sre', 'alice')).toBe(true);
      expect(await host.isTeamMember('bootcamp', 'sre', 'bob')).toBe(false);
      // A team GitHub does not show (missing, or hidden from the bot) is promobot's setup, not "not a member".
      const unseen = await host.isTeamMember('bootcamp', 'release', 'alice').catch((e: unknown) => e);
      expect(unseen).toBeInstanceOf(AccessError);
      expect((unseen as AccessError).capability).toBe('read-org-teams');
    });
  });

  it('deletes a branch and accepts one already gone', async () => {
    pushBranch('promobot/gone/chat-ui', 'gone.txt', 'x\n');
    await host.deleteBranch(repo, 'promobot/gone/chat-ui');
    expect(git(deploy.bare, 'branch', '--list', 'promobot/gone/chat-ui')).toBe('');
    await host.deleteBranch(repo, 'promobot/gone/chat-ui');
  });

  it('serves the clone URL over git HTTP to the token', async () => {
    const url = host.cloneUrl(repo).replace('http://', `http://x-access-token:${botToken}@`);
    const { stdout } = await run('git', ['ls-remote', url, 'refs/heads/main'], {
      env: { ...GIT_TEST_ENV, GIT_TERMINAL_PROMPT: '0' },
    });
    expect(stdout.split('\t')[0]).toBe(git(deploy.bare, 'rev-parse', 'main'));
  });

  describe('errors', () => {
    it('turns a 401 into a PermanentError with advice', async () => {
      const stranger = createGitHubHost({ baseUrl: double.url, token: 'ghp_wrong', logger, ...FAST });
      const error = await stranger.whoAmI().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).advice).toMatch(/token/);
    });

    it('retries a 502 and succeeds', async () => {
      double.failNext({ method: 'GET', path: '/user', status: 502, times: 2 });
      expect(await host.whoAmI()).toEqual({ login: 'promobot' });
    });

    it('waits out a secondary rate limit (429 with Retry-After) through the throttling plugin, then gives up', async () => {
      const throttled = createGitHubHost({
        baseUrl: double.url,
        token: botToken,
        logger,
        retry: { retryAfterBaseValue: 5 },
        throttle: { retries: 1, retryAfterBaseValue: 5 },
      });
      const limited = {
        message: 'You have exceeded a secondary rate limit.',
        documentation_url: 'https://docs.github.com/rest',
      };
      double.failNext({
        method: 'GET',
        path: '/user',
        status: 429,
        headers: { 'retry-after': '1' },
        body: limited,
      });
      expect(await throttled.whoAmI()).toEqual({ login: 'promobot' });

      double.failNext({
        method: 'GET',
        path: '/user',
        status: 429,
        headers: { 'retry-after': '30' },
        body: limited,
        times: 2,
      });
      const error = await throttled.whoAmI().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect((error as TransientError).retryAfterMs).toBe(30_000);
    });
  });
});

describe('test/doubles/github', () => {
  it('refuses requests the api.github.com description does not allow', async () => {
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${double.url}${path}`, {
        method,
        headers: { authorization: `token ${botToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect((await call('PATCH', '/repos/bootcamp/notes-deploy/pulls/1', { title: 7 })).status).toBe(400);
    expect(
      (await call('PUT', '/repos/bootcamp/notes-deploy/pulls/1/merge', { merge_method: 'octopus' })).status,
    ).toBe(400);
    expect((await call('GET', '/repos/bootcamp/notes-deploy/pull-requests')).status).toBe(400);
    expect(double.violations.splice(0)).toHaveLength(3);
  });
});

describe('test/doubles/github answers', () => {
  it('describes the repository with the caller’s permissions, in the shape api.github.com documents', async () => {
    const response = await fetch(`${double.url}/repos/bootcamp/notes-deploy`, {
      headers: { authorization: `token ${botToken}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      full_name: 'bootcamp/notes-deploy',
      permissions: { push: true, admin: false },
    });
  });
});
