import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/index.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';

/**
 * The GitHub double refuses what api.github.com refuses, rule by rule (sources cited in
 * test/doubles/github/access.ts and github-double.ts): organization membership and team visibility, another
 * user's permission, branch protection and rulesets, classic and fine-grained tokens, and rate limits.
 */

const run = promisify(execFile);
const REPO = 'bootcamp/notes-deploy';

let double: GitHubDouble;
let deploy: TempRepo;
const tokens: Record<string, string> = {};

async function api(login: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${double.url}${path}`, {
    method,
    headers: {
      authorization: `token ${tokens[login]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown> | undefined,
  };
}

let branches = 0;
async function openPull(): Promise<{ number: number; headSha: string }> {
  const branch = `promobot/b${(branches += 1)}`;
  git(deploy.work, 'checkout', '--quiet', '-B', branch, 'main');
  writeFileSync(join(deploy.work, `f${branches}.txt`), `${branches}\n`);
  git(deploy.work, 'add', '--all');
  git(deploy.work, 'commit', '--quiet', '-m', `change ${branches}`);
  git(deploy.work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
  const headSha = git(deploy.work, 'rev-parse', 'HEAD');
  git(deploy.work, 'checkout', '--quiet', 'main');
  const pr = await double.openPullRequest(REPO, { author: 'bot', head: branch, base: 'main', title: branch });
  return { number: pr.number, headSha };
}

beforeAll(async () => {
  deploy = createTempRepo({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:1a2b3c4\n' });
  double = await startGitHubDouble();
  for (const login of ['bot', 'alice', 'bob', 'owner', 'outsider', 'reader'])
    tokens[login] = double.addUser(login).token;
  tokens.noorg = double.addUser('noorg', { scopes: ['repo'] }).token;
  tokens.fine = double.addUser('fine', {
    fineGrained: {
      owner: 'bootcamp',
      permissions: { contents: 'read', pull_requests: 'write', members: 'read' },
    },
  }).token;
  tokens.elsewhere = double.addUser('elsewhere', {
    fineGrained: { owner: 'someone-else', permissions: { contents: 'write', pull_requests: 'write' } },
  }).token;
  await double.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { bot: 'write', alice: 'write', bob: 'write', reader: 'read', noorg: 'write', fine: 'write' },
  });
  double.addOrgMember('bootcamp', 'bot');
  double.addOrgMember('bootcamp', 'owner', 'admin');
  double.addOrgMember('bootcamp', 'noorg');
  double.addTeam('bootcamp', 'sre', ['alice']);
  double.addTeam('bootcamp', 'release', ['bob'], [], { privacy: 'closed' });
});

afterEach(() => {
  expect(double.violations.splice(0)).toEqual([]);
  expect(double.answerProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await double?.close();
  deploy?.cleanup();
});

describe('organization membership and team visibility', () => {
  const membership = (caller: string, team: string, user: string) =>
    api(caller, 'GET', `/orgs/bootcamp/teams/${team}/memberships/${user}`);

  it('hides a secret team (the API default) from an org member outside it: the team and every membership 404', async () => {
    expect((await api('bot', 'GET', '/orgs/bootcamp/teams/sre')).status).toBe(404);
    expect((await membership('bot', 'sre', 'alice')).status).toBe(404);
    // Its own members and the org's owners see it.
    expect((await api('alice', 'GET', '/orgs/bootcamp/teams/sre')).body).toMatchObject({
      slug: 'sre',
      privacy: 'secret',
    });
    expect((await membership('owner', 'sre', 'alice')).body).toMatchObject({ state: 'active' });
  });

  it('shows a closed team to every org member, and answers 404 for a user outside it', async () => {
    expect((await api('bot', 'GET', '/orgs/bootcamp/teams/release')).body).toMatchObject({
      privacy: 'closed',
    });
    expect((await membership('bot', 'release', 'bob')).body).toMatchObject({
      state: 'active',
      role: 'member',
    });
    expect((await membership('bot', 'release', 'alice')).status).toBe(404);
  });

  it('answers 404 to a caller outside the organization, even for a closed team', async () => {
    expect((await api('outsider', 'GET', '/orgs/bootcamp/teams/release')).status).toBe(404);
    expect((await membership('outsider', 'release', 'bob')).status).toBe(404);
  });

  it('answers 404 to a classic token without read:org, and names its scopes', async () => {
    const answer = await membership('noorg', 'release', 'bob');
    expect(answer.status).toBe(404);
    expect(answer.headers.get('x-oauth-scopes')).toBe('repo');
  });

  it('lets a team become visible when it is made closed', async () => {
    double.setTeamPrivacy('bootcamp', 'sre', 'closed');
    try {
      expect((await membership('bot', 'sre', 'alice')).status).toBe(200);
    } finally {
      double.setTeamPrivacy('bootcamp', 'sre', 'secret');
    }
  });
});

describe("another user's permission", () => {
  it('refuses a caller without push with 403 "Must have push access to view collaborator permission."', async () => {
    const answer = await api('reader', 'GET', `/repos/${REPO}/collaborators/alice/permission`);
    expect(answer.status).toBe(403);
    expect(answer.body?.message).toBe('Must have push access to view collaborator permission.');
    expect((await api('reader', 'GET', `/repos/${REPO}/collaborators/reader/permission`)).body).toMatchObject(
      {
        permission: 'read',
      },
    );
    expect((await api('bot', 'GET', `/repos/${REPO}/collaborators/alice/permission`)).body).toMatchObject({
      permission: 'write',
    });
  });

  it('gives org owners admin on the organization’s repositories', async () => {
    expect((await api('bot', 'GET', `/repos/${REPO}/collaborators/owner/permission`)).body).toMatchObject({
      permission: 'admin',
    });
  });
});

describe('branch protection and rulesets', () => {
  afterEach(() => double.protectBranch(REPO, 'main', null));

  it('refuses a merge without the required approving review with 405 and GitHub’s reason', async () => {
    double.protectBranch(REPO, 'main', { requiredApprovingReviews: 1 });
    const pr = await openPull();
    const refused = await api('bot', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {});
    expect(refused.status).toBe(405);
    expect(refused.body?.message).toBe(
      'At least 1 approving review is required by reviewers with write access.',
    );
    // A reader's approval does not count; a writer's does.
    await double.review(REPO, pr.number, 'reader', 'APPROVED');
    expect((await api('bot', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {})).status).toBe(405);
    await double.review(REPO, pr.number, 'alice', 'APPROVED');
    expect((await api('bot', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {})).status).toBe(200);
  });

  it('refuses a merge until each required status check is success on the head', async () => {
    double.protectBranch(REPO, 'main', { requiredStatusChecks: ['ci/test'] });
    const pr = await openPull();
    const refused = await api('bot', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {});
    expect(refused.status).toBe(405);
    expect(refused.body?.message).toBe('Required status check "ci/test" is expected.');
    await api('bot', 'POST', `/repos/${REPO}/statuses/${pr.headSha}`, {
      state: 'success',
      context: 'ci/test',
    });
    expect((await api('bot', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {})).status).toBe(200);
  });

  it('lets an admin through classic protection unless it binds admins too', async () => {
    const pr = await openPull();
    double.protectBranch(REPO, 'main', { requiredApprovingReviews: 1, enforceAdmins: true });
    expect((await api('owner', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {})).status).toBe(405);
    double.protectBranch(REPO, 'main', { requiredApprovingReviews: 1 });
    expect((await api('owner', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {})).status).toBe(200);
  });

  it('refuses to delete a protected branch with 422 "Cannot delete this protected branch"', async () => {
    git(deploy.work, 'push', '--quiet', 'origin', 'main:refs/heads/release-1');
    double.protectBranch(REPO, 'release-1', { requiredApprovingReviews: 1 });
    const refused = await api('bot', 'DELETE', `/repos/${REPO}/git/refs/heads%2Frelease-1`);
    expect([refused.status, refused.body?.message]).toEqual([422, 'Cannot delete this protected branch']);
    double.protectBranch(REPO, 'release-1', null);
    expect((await api('bot', 'DELETE', `/repos/${REPO}/git/refs/heads%2Frelease-1`)).status).toBe(204);
  });

  it('words a ruleset refusal as "Repository rule violations found", and lets its bypass list through', async () => {
    double.protectBranch(REPO, 'main', {
      ruleset: true,
      requiredApprovingReviews: 1,
      requiredStatusChecks: ['promobot/gates'],
      bypass: ['bob'],
    });
    const pr = await openPull();
    const refused = await api('bot', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {});
    expect(refused.status).toBe(405);
    expect(refused.body?.message).toBe(
      'Repository rule violations found\n\nAt least 1 approving review is required by reviewers with write access.' +
        '\n\nRequired status check "promobot/gates" is expected.\n\n',
    );
    expect((await api('bob', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {})).status).toBe(200);
  });
});

describe('classic and fine-grained tokens', () => {
  it('sends X-OAuth-Scopes for a classic token only', async () => {
    expect((await api('bot', 'GET', '/user')).headers.get('x-oauth-scopes')).toBe('repo, read:org');
    const fine = await api('fine', 'GET', '/user');
    expect(fine.status).toBe(200);
    expect(fine.headers.has('x-oauth-scopes')).toBe(false);
  });

  it('needs Issues: write for a reaction, and says so in X-Accepted-GitHub-Permissions', async () => {
    const pr = await openPull();
    const comment = await double.comment(REPO, pr.number, 'alice', '/approve');
    // Pull requests: write lets it comment, but not react.
    expect(
      (await api('fine', 'POST', `/repos/${REPO}/issues/${pr.number}/comments`, { body: 'hi' })).status,
    ).toBe(201);
    const refused = await api('fine', 'POST', `/repos/${REPO}/issues/comments/${comment.id}/reactions`, {
      content: '+1',
    });
    expect(refused.status).toBe(403);
    expect(refused.body?.message).toBe('Resource not accessible by personal access token');
    expect(refused.headers.get('x-accepted-github-permissions')).toBe('issues=write');
  });

  it('needs Commit statuses: write to set a status and Contents: write to merge', async () => {
    const pr = await openPull();
    const status = await api('fine', 'POST', `/repos/${REPO}/statuses/${pr.headSha}`, {
      state: 'success',
      context: 'promobot/gates',
    });
    expect([status.status, status.headers.get('x-accepted-github-permissions')]).toEqual([
      403,
      'statuses=write',
    ]);
    const merge = await api('fine', 'PUT', `/repos/${REPO}/pulls/${pr.number}/merge`, {});
    expect([merge.status, merge.headers.get('x-accepted-github-permissions')]).toEqual([
      403,
      'contents=write',
    ]);
    // Metadata: read comes with every fine-grained token; Members: read opens visible teams.
    expect((await api('fine', 'GET', `/repos/${REPO}`)).status).toBe(200);
  });

  it('reaches the resources of its one owner only', async () => {
    expect((await api('elsewhere', 'GET', `/repos/${REPO}/pulls`)).status).toBe(404);
  });

  it('refuses a git push without Contents: write, and serves a fetch with Contents: read', async () => {
    const url = `${double.url}/${REPO}.git`.replace('http://', `http://x-access-token:${tokens.fine}@`);
    const env = { ...GIT_TEST_ENV, GIT_TERMINAL_PROMPT: '0' };
    const { stdout } = await run('git', ['ls-remote', url, 'refs/heads/main'], { env });
    expect(stdout).toContain('refs/heads/main');
    const pushed = await run('git', ['push', url, 'main:refs/heads/fine-push'], {
      cwd: deploy.work,
      env,
    }).then(
      () => 'pushed',
      () => 'refused',
    );
    expect(pushed).toBe('refused');
  });
});

describe('rate limits', () => {
  it('answers 403 with x-ratelimit-remaining: 0 past the primary limit, until the reset', async () => {
    // The reset is in whole epoch seconds: 3 s leaves the two calls inside the window on a loaded machine.
    double.limitRate('bob', { remaining: 1, resetInSeconds: 3 });
    expect((await api('bob', 'GET', '/user')).status).toBe(200);
    const limited = await api('bob', 'GET', '/user');
    expect(limited.status).toBe(403);
    expect(limited.body?.message).toMatch(/^API rate limit exceeded for user ID \d+\.$/);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    const reset = Number(limited.headers.get('x-ratelimit-reset'));
    expect(reset * 1000).toBeGreaterThan(Date.now());
    await new Promise((resolve) => setTimeout(resolve, reset * 1000 - Date.now() + 50));
    const after = await api('bob', 'GET', '/user');
    expect(after.status).toBe(200);
    expect(after.headers.get('x-ratelimit-remaining')).toBe('4999');
  });

  it('answers 429 with retry-after for a secondary limit', async () => {
    double.secondaryRateLimit('bob', { retryAfterSeconds: 7 });
    const limited = await api('bob', 'GET', '/user');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body?.message).toMatch(/secondary rate limit/);
    expect((await api('bob', 'GET', '/user')).status).toBe(200);
  });
});

describe('repository hooks', () => {
  it('lists them to repository admins only: a writer gets 404, as on GitHub', async () => {
    expect((await api('bot', 'GET', `/repos/${REPO}/hooks`)).status).toBe(404);
    const owner = await api('owner', 'GET', `/repos/${REPO}/hooks`);
    expect(owner.status).toBe(200);
    expect(owner.body).toEqual([]);
  });
});
