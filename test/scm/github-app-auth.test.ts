import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccessError, TransientError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logger/index.js';
import {
  appJwt,
  createGitHubHost,
  needsRefresh,
  type GitHubAppCredentials,
  type GitHubHost,
} from '../../src/hosts/github/scm/index.js';
import { repoRef } from '../../src/scm/index.js';
import { startGitHubDouble, type GitHubApp, type GitHubDouble } from '../doubles/github/index.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';

/**
 * GitHub App authentication against the double: JWT → installation token → calls as `<slug>[bot]`, identity from
 * GET /app (installation tokens cannot call GET /user), tokens refreshed before they expire.
 */

const run = promisify(execFile);
const logger = createLogger({ level: 'silent' });
const repo = repoRef('bootcamp/notes-deploy');
const FAST = { retry: { retryAfterBaseValue: 5 }, throttle: { enabled: false } };

let double: GitHubDouble;
let deploy: TempRepo;
let app: GitHubApp;
let credentials: GitHubAppCredentials;

const tokenRequests = () =>
  double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/access_tokens') && r.status === 201)
    .length;

function hostWithClock(clock: { now: number }): GitHubHost {
  return createGitHubHost({ baseUrl: double.url, app: credentials, logger, now: () => clock.now, ...FAST });
}

async function api(token: string, method: string, path: string) {
  const response = await fetch(`${double.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  deploy = createTempRepo({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:1a2b3c4\n' });
  double = await startGitHubDouble();
  double.addUser('alice');
  await double.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { alice: 'write' },
  });
  double.addTeam('bootcamp', 'sre', ['alice']);
  app = double.addApp({
    slug: 'promobot',
    account: 'bootcamp',
    permissions: {
      contents: 'write',
      pull_requests: 'write',
      issues: 'write',
      statuses: 'write',
      members: 'read',
    },
  });
  credentials = {
    appId: String(app.id),
    privateKey: app.privateKey,
    installationId: app.installations.bootcamp ?? 0,
  };
});

afterEach(() => {
  expect(double.violations.splice(0)).toEqual([]);
  expect(double.answerProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await double?.close();
  deploy?.cleanup();
});

describe('test/doubles/github Apps', () => {
  it('answers GET /app to a JWT signed by the App, and refuses a foreign signature or a too long one', async () => {
    const now = Date.now();
    expect((await api(appJwt(credentials.appId, app.privateKey, now), 'GET', '/app')).body).toMatchObject({
      slug: 'promobot',
    });
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect((await api(appJwt(credentials.appId, stranger, now), 'GET', '/app')).status).toBe(401);
    // A JWT made 20 minutes ahead lives past GitHub's 10-minute cap from now: refused.
    expect(
      (await api(appJwt(credentials.appId, app.privateKey, now + 20 * 60_000), 'GET', '/app')).status,
    ).toBe(401);
    // A user token is no App credential.
    expect((await api('ghp_nothing', 'GET', '/app')).status).toBe(401);
  });

  it('gives installation tokens that cannot call GET /user and stop working once expired', async () => {
    const jwt = appJwt(credentials.appId, app.privateKey, Date.now());
    const made = await api(jwt, 'POST', `/app/installations/${credentials.installationId}/access_tokens`);
    expect(made.status).toBe(201);
    const token = String(made.body.token);
    expect(token).toMatch(/^ghs_/);
    const me = await api(token, 'GET', '/user');
    expect([me.status, me.body.message]).toEqual([403, 'Resource not accessible by integration']);
    expect((await api(token, 'GET', `/repos/${repo.fullName}/pulls`)).status).toBe(200);
    expect((await api(jwt, 'POST', '/app/installations/1/access_tokens')).status).toBe(404);
    double.expireInstallationTokens();
    expect((await api(token, 'GET', `/repos/${repo.fullName}/pulls`)).status).toBe(401);
  });
});

describe('scm/github as a GitHub App', () => {
  it('makes a JWT GitHub accepts: RS256, iss the App id, at most 10 minutes long', () => {
    const [head = '', body = ''] = appJwt('42', app.privateKey, 1_800_000_000_000).split('.');
    expect(JSON.parse(Buffer.from(head, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(body, 'base64url').toString())).toEqual({
      iat: 1_799_999_940,
      exp: 1_800_000_540,
      iss: '42',
    });
  });

  it('refreshes a token five minutes before it expires', () => {
    expect(needsRefresh(60 * 60_000, 54 * 60_000)).toBe(false);
    expect(needsRefresh(60 * 60_000, 55 * 60_000)).toBe(true);
  });

  it('names itself <slug>[bot] from GET /app and acts with the installation token', async () => {
    const host = hostWithClock({ now: Date.now() });
    expect(await host.whoAmI()).toEqual({ login: 'promobot[bot]' });
    // The installation's Members: read sees the org's teams, secret ones too.
    expect(await host.isTeamMember('bootcamp', 'sre', 'alice')).toBe(true);
    expect(await host.getPermission(repo, 'alice')).toBe('write');
    git(deploy.work, 'checkout', '--quiet', '-B', 'promobot/app', 'main');
    writeFileSync(join(deploy.work, 'app.txt'), 'app\n');
    git(deploy.work, 'add', '--all');
    git(deploy.work, 'commit', '--quiet', '-m', 'app change');
    git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/promobot/app');
    git(deploy.work, 'checkout', '--quiet', 'main');
    const pr = await host.createPullRequest(repo, {
      head: 'promobot/app',
      base: 'main',
      title: 'app',
      body: '',
    });
    expect(pr.author).toBe('promobot[bot]');
    await host.setCommitStatus(repo, pr.headSha, {
      context: 'promobot/gates',
      state: 'success',
      description: '',
    });
    expect(await host.mergePullRequest(repo, pr.number, { method: 'merge' })).toMatchObject({ merged: true });
  });

  it('keeps one token while it has more than five minutes left, and makes a new one after', async () => {
    const clock = { now: Date.now() };
    const host = hostWithClock(clock);
    const before = tokenRequests();
    await host.listOpenPullRequests(repo);
    const first = await host.gitToken();
    clock.now += 50 * 60_000;
    await host.listOpenPullRequests(repo);
    expect(await host.gitToken()).toBe(first);
    expect(tokenRequests() - before).toBe(1);
    // 56 minutes on, the token has less than five minutes left: the next call makes a new one first.
    clock.now += 6 * 60_000;
    await host.listOpenPullRequests(repo);
    expect(tokenRequests() - before).toBe(2);
  });

  it('replaces a refused installation token at once, for API calls and for git', async () => {
    const host = hostWithClock({ now: Date.now() });
    await host.listOpenPullRequests(repo);
    const first = await host.gitToken();
    const before = tokenRequests();
    double.expireInstallationTokens();
    // The host still thinks the token has an hour left; GitHub's 401 makes it take a new one and ask again.
    expect(await host.listOpenPullRequests(repo)).toEqual([]);
    expect(tokenRequests() - before).toBe(1);
    const second = await host.gitToken();
    expect(second).not.toBe(first);
    // git's refusal of an older token does not throw away the newer one; a refusal of the current one does.
    expect(await host.gitToken(first)).toBe(second);
    double.expireInstallationTokens();
    const third = await host.gitToken(second);
    expect(third).not.toBe(second);
    expect(tokenRequests() - before).toBe(2);
  });

  it('gives up with a TransientError when GitHub refuses the new token too', async () => {
    // An App whose tokens lapse the moment they are made.
    const lapsing = double.addApp({
      slug: 'lapsing',
      account: 'bootcamp',
      permissions: { pull_requests: 'read' },
      tokenTtlSeconds: 0,
    });
    const host = createGitHubHost({
      baseUrl: double.url,
      app: {
        appId: String(lapsing.id),
        privateKey: lapsing.privateKey,
        installationId: lapsing.installations.bootcamp ?? 0,
      },
      logger,
      ...FAST,
    });
    const error = await host.listOpenPullRequests(repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/refused the installation token/);
  });

  it('lets git read the deploy repo with the installation token', async () => {
    const host = hostWithClock({ now: Date.now() });
    const url = host.cloneUrl(repo).replace('http://', `http://x-access-token:${await host.gitToken()}@`);
    const { stdout } = await run('git', ['ls-remote', url, 'refs/heads/main'], {
      env: { ...GIT_TEST_ENV, GIT_TERMINAL_PROMPT: '0' },
    });
    expect(stdout.split('\t')[0]).toBe(git(deploy.bare, 'rev-parse', 'main'));
  });

  it('fails with AccessError app-token naming the settings when the installation is not the App’s', async () => {
    const host = createGitHubHost({
      baseUrl: double.url,
      app: { ...credentials, installationId: 1 },
      logger,
      ...FAST,
    });
    const error = await host.listOpenPullRequests(repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).capability).toBe('app-token');
    expect((error as AccessError).advice).toContain('GITHUB_APP_INSTALLATION_ID (1)');
  });
});
