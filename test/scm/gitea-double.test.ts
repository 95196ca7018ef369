import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger/index.js';
import { createGiteaHost } from '../../src/hosts/gitea/scm/index.js';
import { repoRef } from '../../src/scm/types.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';

const run = promisify(execFile);
const GIT_ENV = { ...GIT_TEST_ENV, GIT_TERMINAL_PROMPT: '0' };

const SECRET = 'gitea-hook-secret';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let double: GiteaDouble;
let deploy: TempRepo;
let token: string;
let aliceToken: string;
let bobToken: string;
let receiver: Server;
const received: Received[] = [];

async function api(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${double.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `token ${token}`,
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

function eventsOf(name: string): Record<string, unknown>[] {
  return received
    .filter((r) => r.headers['x-gitea-event'] === name)
    .map((r) => JSON.parse(r.body) as Record<string, unknown>);
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
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/gitea`;

  deploy = createTempRepo({ 'chat-ui/staging/values.yaml': 'tag: 1a2b3c4\n' });
  git(deploy.work, 'checkout', '--quiet', '-b', 'promobot/staging/chat-ui');
  writeFileSync(join(deploy.work, 'chat-ui/staging/values.yaml'), 'tag: 3f9c2ab\n');
  git(deploy.work, 'commit', '--quiet', '-am', 'promote chat-ui to staging');
  git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/promobot/staging/chat-ui');
  git(deploy.work, 'checkout', '--quiet', 'main');
  double = await startGiteaDouble({ webhook: { url: hookUrl, secret: SECRET } });
  token = double.addUser('promobot').token;
  aliceToken = double.addUser('alice').token;
  bobToken = double.addUser('bob').token;
  git(deploy.work, 'checkout', '--quiet', '-b', 'feature', 'main');
  writeFileSync(join(deploy.work, 'feature.txt'), 'one\n');
  git(deploy.work, 'add', 'feature.txt');
  git(deploy.work, 'commit', '--quiet', '-m', 'feature');
  git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/feature');
  git(deploy.work, 'checkout', '--quiet', 'main');
  await double.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { promobot: 'admin', alice: 'write', bob: 'read' },
  });
});

afterAll(async () => {
  await double?.close();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  deploy?.cleanup();
});

describe('test/doubles/gitea', () => {
  describe('the contract', () => {
    it('refuses a PATCH whose body field has the wrong type, with 400 and the reason', async () => {
      const answer = await api('PATCH', '/repos/bootcamp/notes-deploy/pulls/1', { title: 42 });
      expect(answer.status).toBe(400);
      expect(String(answer.body?.message)).toMatch(/title must be string/);
      expect(double.violations.splice(0)).toEqual([
        expect.stringMatching(/PATCH \/repos\/bootcamp\/notes-deploy\/pulls\/1/),
      ]);
    });

    it('refuses a body field the contract does not name (the merge style is "do", not "Merge")', async () => {
      const answer = await api('POST', '/repos/bootcamp/notes-deploy/pulls/1/merge', {
        do: 'merge',
        Merge: true,
      });
      expect(answer.status).toBe(400);
      expect(double.violations.splice(0)).toEqual([
        expect.stringMatching(/must NOT have additional properties/),
      ]);
    });

    it('refuses an unknown path, a method the path lacks, and a query parameter Gitea does not have', async () => {
      expect((await api('GET', '/repos/bootcamp/notes-deploy/pull-requests')).status).toBe(400);
      expect((await api('PUT', '/repos/bootcamp/notes-deploy/pulls/1')).status).toBe(400);
      expect(
        (await api('GET', '/repos/bootcamp/notes-deploy/pulls?head=bootcamp:promobot/staging/chat-ui'))
          .status,
      ).toBe(400);
      const violations = double.violations.splice(0);
      expect(violations).toHaveLength(3);
      expect(violations[2]).toMatch(/query parameter "head" is not in the contract/);
    });

    it('refuses a non-integer PR index and a body that is not JSON', async () => {
      expect((await api('GET', '/repos/bootcamp/notes-deploy/pulls/one')).status).toBe(400);
      expect(
        (
          await api(
            'POST',
            '/repos/bootcamp/notes-deploy/issues/1/comments',
            'body=hi',
            'application/x-www-form-urlencoded',
          )
        ).status,
      ).toBe(400);
      expect(double.violations.splice(0)).toHaveLength(2);
    });

    it('answers the version without a token, and a branch with its head commit', async () => {
      expect(await (await fetch(`${double.url}/api/v1/version`)).json()).toEqual({ version: '1.24.0' });
      const branch = await api('GET', '/repos/bootcamp/notes-deploy/branches/main');
      expect(branch.body).toMatchObject({
        name: 'main',
        commit: { id: git(deploy.bare, 'rev-parse', 'main') },
      });
      expect(double.violations).toEqual([]);
      expect(double.answerProblems).toEqual([]);
    });

    it("answers a missing resource with Gitea's not-found shape", async () => {
      const answer = await api('GET', '/repos/bootcamp/notes-deploy/pulls/999');
      expect(answer).toEqual({
        status: 404,
        body: { message: "The target couldn't be found.", url: `${double.url}/api/swagger`, errors: null },
      });
      expect(double.violations).toEqual([]);
    });
  });

  describe('git over HTTP', () => {
    const clone = async (login: string, userToken: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'gitea-double-clone-'));
      const url = `${double.url.replace('http://', `http://${login}:${userToken}@`)}/bootcamp/notes-deploy.git`;
      await run('git', ['clone', '--quiet', url, dir], { env: GIT_ENV });
      return dir;
    };

    it('lets a writer push; the push reaches the bare repo and fires push and pull_request synchronized', async () => {
      const pr = await double.openPullRequest('bootcamp/notes-deploy', {
        author: 'alice',
        head: 'feature',
        base: 'main',
        title: 'feature',
      });
      const dir = await clone('alice', aliceToken);
      await run('git', ['checkout', '--quiet', 'feature'], { cwd: dir, env: GIT_ENV });
      writeFileSync(join(dir, 'feature.txt'), 'two\n');
      await run('git', ['commit', '--quiet', '-am', 'second'], { cwd: dir, env: GIT_ENV });
      await run('git', ['push', '--quiet', 'origin', 'feature'], { cwd: dir, env: GIT_ENV });
      await double.flush();

      const head = git(deploy.bare, 'rev-parse', 'feature');
      expect(double.pull('bootcamp/notes-deploy', pr.index)?.headSha).toBe(head);
      const synced = received.filter((r) => r.headers['x-gitea-event-type'] === 'pull_request_sync');
      expect(
        synced.map(
          (r) => (JSON.parse(r.body) as { pull_request: { head: { sha: string } } }).pull_request.head.sha,
        ),
      ).toContain(head);
      expect(eventsOf('push').some((e) => e.after === head)).toBe(true);

      expect(await double.merge('bootcamp/notes-deploy', pr.index, 'alice')).toBe(200);
      expect(git(deploy.bare, 'show', 'main:feature.txt')).toBe('two');
    });

    it("refuses a reader's push with the pre-receive hook, as Gitea does", async () => {
      const dir = await clone('bob', bobToken);
      writeFileSync(join(dir, 'bob.txt'), 'bob was here\n');
      await run('git', ['add', 'bob.txt'], { cwd: dir, env: GIT_ENV });
      await run('git', ['commit', '--quiet', '-m', 'bob'], { cwd: dir, env: GIT_ENV });
      await expect(
        run('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir, env: GIT_ENV }),
      ).rejects.toThrow(/pre-receive hook declined/);
    });

    it('takes the API token header on git HTTP too', async () => {
      const { stdout } = await run(
        'git',
        [
          '-c',
          `http.extraHeader=Authorization: token ${token}`,
          'ls-remote',
          `${double.url}/bootcamp/notes-deploy.git`,
          'refs/heads/main',
        ],
        { env: GIT_ENV },
      );
      expect(stdout.split('\t')[0]).toBe(git(deploy.bare, 'rev-parse', 'main'));
    });

    it('challenges anonymous git clients for credentials', async () => {
      await expect(
        run('git', ['ls-remote', `${double.url}/bootcamp/notes-deploy.git`], { env: GIT_ENV }),
      ).rejects.toThrow(/Authentication failed|could not read Username/);
    });
  });

  describe('webhooks', () => {
    it('sends pull_request opened, then closed+merged and a push of the base by the merger, all signed', async () => {
      const host = createGiteaHost({ baseUrl: double.url, token, logger: createLogger({ level: 'silent' }) });
      const repo = repoRef('bootcamp/notes-deploy');
      const pr = await host.createPullRequest(repo, {
        head: 'promobot/staging/chat-ui',
        base: 'main',
        title: 'promote',
        body: '',
      });
      const result = await host.mergePullRequest(repo, pr.number, { method: 'merge' });
      await double.flush();

      expect(result).toMatchObject({ merged: true });
      const prEvents = eventsOf('pull_request').filter((e) => e.number === pr.number);
      expect(prEvents.map((e) => e.action)).toEqual(['opened', 'closed']);
      expect(prEvents[1]).toMatchObject({
        number: pr.number,
        pull_request: { merged: true, merge_commit_sha: git(deploy.bare, 'rev-parse', 'main') },
      });
      const push = eventsOf('push').at(-1)!;
      expect(push).toMatchObject({
        ref: 'refs/heads/main',
        after: git(deploy.bare, 'rev-parse', 'main'),
        pusher: { login: 'promobot' },
      });

      for (const delivery of received) {
        const expected = createHmac('sha256', SECRET).update(delivery.body).digest('hex');
        expect(delivery.headers['x-gitea-signature']).toBe(expected);
        expect(delivery.headers['x-hub-signature-256']).toBe(`sha256=${expected}`);
        expect(delivery.headers['x-gitea-delivery']).toMatch(/^[0-9a-f-]{36}$/);
      }
      expect(
        received.find((r) => r.headers['x-gitea-event'] === 'pull_request')?.headers['x-gitea-event-type'],
      ).toBe('pull_request');
    });

    it('sends issue_comment with is_pull and the PR, and a review as pull_request_approved', async () => {
      const pr = double.pulls('bootcamp/notes-deploy')[0]!;
      await double.comment('bootcamp/notes-deploy', pr.index, 'alice', '/promote prod');
      await double.review('bootcamp/notes-deploy', pr.index, 'alice', 'APPROVED', 'lgtm');
      await double.flush();

      expect(eventsOf('issue_comment').at(-1)).toMatchObject({
        action: 'created',
        is_pull: true,
        issue: { number: pr.index },
        comment: { body: '/promote prod', user: { login: 'alice' } },
      });
      const review = received.find((r) => r.headers['x-gitea-event'] === 'pull_request_approved')!;
      expect(review.headers['x-gitea-event-type']).toBe('pull_request_review_approved');
      expect(JSON.parse(review.body)).toMatchObject({
        action: 'reviewed',
        review: { type: 'pull_request_review_approved', content: 'lgtm' },
      });
    });

    it('sends a comment on a plain issue as issue_comment with is_pull false and no PR, and takes the reply there', async () => {
      const issue = await double.openIssue('bootcamp/notes-deploy', {
        author: 'alice',
        title: 'prod misbehaves',
      });
      expect(double.pulls('bootcamp/notes-deploy').some((p) => p.index === issue.index)).toBe(false);
      await double.comment('bootcamp/notes-deploy', issue.index, 'alice', '/rollback prod');
      await double.flush();
      const delivery = received.filter((r) => r.headers['x-gitea-event'] === 'issue_comment').at(-1)!;
      expect(delivery.headers['x-gitea-event-type']).toBe('issue_comment');
      const payload = JSON.parse(delivery.body) as Record<string, unknown>;
      expect(payload).toMatchObject({
        action: 'created',
        is_pull: false,
        issue: { number: issue.index, pull_request: null, title: 'prod misbehaves' },
        comment: { body: '/rollback prod', user: { login: 'alice' } },
      });
      expect('pull_request' in payload).toBe(false);
      const reply = await api('POST', `/repos/bootcamp/notes-deploy/issues/${issue.index}/comments`, {
        body: 'answered',
      });
      expect(reply.status).toBe(201);
      const missing = await api('POST', '/repos/bootcamp/notes-deploy/issues/999/comments', { body: 'x' });
      expect(missing.status).toBe(404);
    });

    it('creates hooks inactive unless active: true is sent, with events defaulting to push', async () => {
      const created = await api('POST', '/repos/bootcamp/notes-deploy/hooks', {
        type: 'gitea',
        config: { url: 'http://127.0.0.1:1/hook', content_type: 'json', secret: 's' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ active: false, events: ['push'] });
      const edited = await api('PATCH', `/repos/bootcamp/notes-deploy/hooks/${String(created.body?.id)}`, {
        active: true,
        events: ['pull_request'],
      });
      expect(edited.body).toMatchObject({ active: true, events: ['pull_request'] });
      const listed = await api('GET', '/repos/bootcamp/notes-deploy/hooks');
      expect(listed.body).toHaveLength(1);
      expect(double.violations).toEqual([]);
      expect(double.answerProblems).toEqual([]);
    });
  });

  describe('branch protection', () => {
    it("refuses a merge until the protected base's required checks pass and approvals are in, and refuses to delete it", async () => {
      double.protectBranch('bootcamp/notes-deploy', 'main', { requiredApprovals: 1, statusChecks: ['ci'] });
      try {
        const pr = await double.openPullRequest('bootcamp/notes-deploy', {
          author: 'alice',
          head: 'promobot/staging/chat-ui',
          base: 'main',
          title: 'protected',
        });
        const merge = () =>
          api('POST', `/repos/bootcamp/notes-deploy/pulls/${pr.index}/merge`, { do: 'merge' });
        expect(await merge()).toMatchObject({
          status: 405,
          body: { message: 'not allowed to merge [reason: Not all required status checks successful]' },
        });
        await api('POST', `/repos/bootcamp/notes-deploy/statuses/${pr.headSha}`, {
          context: 'ci',
          state: 'success',
        });
        expect(await merge()).toMatchObject({
          status: 405,
          body: { message: 'not allowed to merge [reason: Does not have enough approvals]' },
        });
        const branch = await api('GET', '/repos/bootcamp/notes-deploy/branches/main');
        expect(branch.body).toMatchObject({
          protected: true,
          required_approvals: 1,
          status_check_contexts: ['ci'],
        });
        expect(await api('DELETE', '/repos/bootcamp/notes-deploy/branches/main')).toMatchObject({
          status: 403,
        });
        // A reader's approval is not official and does not count; a writer's does.
        await double.review('bootcamp/notes-deploy', pr.index, 'bob', 'APPROVED');
        expect((await merge()).status).toBe(405);
        await double.review('bootcamp/notes-deploy', pr.index, 'promobot', 'APPROVED');
        expect((await merge()).status).toBe(200);
      } finally {
        double.protectBranch('bootcamp/notes-deploy', 'main', undefined);
      }
      expect(double.violations).toEqual([]);
    });

    it('applies glob rules as Gitea does: a plain name first, `*` within one segment, case kept for globs', async () => {
      double.protectBranch('bootcamp/notes-deploy', 'f*', { requiredApprovals: 2 });
      double.protectBranch('bootcamp/notes-deploy', 'FEATURE', { requiredApprovals: 1 });
      try {
        // routers/api/v1/repo/branch.go GetBranch reports the rule GetFirstMatchProtectedBranchRule finds.
        expect(await api('GET', '/repos/bootcamp/notes-deploy/branches/feature')).toMatchObject({
          status: 200,
          body: { protected: true, required_approvals: 1 },
        });
        double.protectBranch('bootcamp/notes-deploy', 'FEATURE', undefined);
        expect(await api('GET', '/repos/bootcamp/notes-deploy/branches/feature')).toMatchObject({
          body: { protected: true, required_approvals: 2 },
        });
        // The glob is case-sensitive, unlike a plain name, and `*` does not cross `/`.
        double.protectBranch('bootcamp/notes-deploy', 'f*', undefined);
        double.protectBranch('bootcamp/notes-deploy', 'F*', { requiredApprovals: 2 });
        expect(await api('GET', '/repos/bootcamp/notes-deploy/branches/feature')).toMatchObject({
          body: { protected: false },
        });
        expect(await api('GET', '/repos/bootcamp/notes-deploy/branches/main')).toMatchObject({
          body: { protected: false },
        });
      } finally {
        double.protectBranch('bootcamp/notes-deploy', 'f*', undefined);
        double.protectBranch('bootcamp/notes-deploy', 'F*', undefined);
        double.protectBranch('bootcamp/notes-deploy', 'FEATURE', undefined);
      }
    });

    it('refuses to delete a protected branch that is not the default one', async () => {
      double.protectBranch('bootcamp/notes-deploy', 'feature', {});
      try {
        expect(await api('DELETE', '/repos/bootcamp/notes-deploy/branches/feature')).toMatchObject({
          status: 403,
          body: { message: 'branch protected' },
        });
      } finally {
        double.protectBranch('bootcamp/notes-deploy', 'feature', undefined);
      }
    });
  });

  // One test per route guard of routers/api/v1/api.go (Gitea 1.22-1.25) and org/member.go that promobot's reads
  // meet; shared/contracts/GITEA-BEHAVIOUR.md "Who may read what".
  describe('who may read what', () => {
    const tokens: Record<string, string> = {};
    let sreId = 0;

    async function as(login: string, path: string) {
      const response = await fetch(`${double.url}/api/v1${path}`, {
        headers: { authorization: `token ${tokens[login] ?? ''}` },
        redirect: 'manual',
      });
      const text = await response.text();
      return {
        status: response.status,
        location: response.headers.get('location'),
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
    }

    beforeAll(() => {
      for (const login of ['owner', 'carol', 'dave', 'erin']) tokens[login] = double.addUser(login).token;
      tokens.root = double.addUser('root', { siteAdmin: true }).token;
      tokens.alice = aliceToken;
      tokens.bob = bobToken;
      tokens.promobot = token;
      double.addTeam('acme', 'Owners', ['owner']);
      sreId = double.addTeam('acme', 'sre', ['carol']).id;
      double.addTeam('acme', 'release', ['dave']);
    });

    afterAll(() => {
      expect(double.violations).toEqual([]);
      expect(double.answerProblems).toEqual([]);
    });

    it("lets only a repo admin or a site admin read another user's permission, with Gitea's 403 before any look-up", async () => {
      const path = '/repos/bootcamp/notes-deploy/collaborators';
      const refusal = {
        message:
          'Only admins can query all permissions, repo admins can query all repo permissions, collaborators can query only their own',
      };
      expect(await as('alice', `${path}/bob/permission`)).toMatchObject({ status: 403, body: refusal });
      // Not even whether the user exists leaks to a writer.
      expect(await as('alice', `${path}/nobody/permission`)).toMatchObject({ status: 403, body: refusal });
      expect(await as('alice', `${path}/alice/permission`)).toMatchObject({
        status: 200,
        body: { permission: 'write' },
      });
      expect(await as('promobot', `${path}/bob/permission`)).toMatchObject({
        status: 200,
        body: { permission: 'read' },
      });
      expect(await as('root', `${path}/alice/permission`)).toMatchObject({
        status: 200,
        body: { permission: 'write' },
      });
    });

    it('answers the team routes of /orgs/{org} only to org members (reqOrgMembership), 404 for an unknown org', async () => {
      const refusal = { message: 'Must be an organization member' };
      expect(await as('erin', '/orgs/acme/teams')).toMatchObject({ status: 403, body: refusal });
      expect(await as('erin', '/orgs/acme/teams/search?q=sre')).toMatchObject({ status: 403, body: refusal });
      expect(await as('promobot', '/orgs/acme/teams/search?q=sre')).toMatchObject({ status: 403 });
      expect((await as('erin', '/orgs/nowhere/teams')).status).toBe(404);
      const listed = await as('dave', '/orgs/acme/teams');
      expect(listed.status).toBe(200);
      expect((listed.body as { name: string }[]).map((t) => t.name).sort()).toEqual([
        'Owners',
        'release',
        'sre',
      ]);
    });

    it("searches only the caller's own teams unless the caller is a site admin (SearchTeam)", async () => {
      const names = async (login: string) =>
        ((await as(login, '/orgs/acme/teams/search?q=')).body as { data: { name: string }[] }).data.map(
          (t) => t.name,
        );
      expect(await names('dave')).toEqual(['release']);
      expect(await names('carol')).toEqual(['sre']);
      expect((await names('root')).sort()).toEqual(['Owners', 'release', 'sre']);
    });

    it("answers a team's members only to its members, org owners and site admins (reqTeamMembership)", async () => {
      expect(await as('dave', `/teams/${sreId}/members/carol`)).toMatchObject({
        status: 403,
        body: { message: 'Must be a team member' },
      });
      expect(await as('dave', `/teams/${sreId}/members`)).toMatchObject({
        status: 403,
        body: { message: 'Must be a team member' },
      });
      // Outside the org the team does not exist.
      expect(await as('erin', `/teams/${sreId}/members/carol`)).toMatchObject({
        status: 404,
        body: { message: "The target couldn't be found." },
      });
      expect((await as('carol', `/teams/${sreId}/members/carol`)).status).toBe(200);
      expect((await as('carol', `/teams/${sreId}/members/dave`)).status).toBe(404);
      expect((await as('owner', `/teams/${sreId}/members/carol`)).status).toBe(200);
      expect((await as('root', `/teams/${sreId}/members/carol`)).status).toBe(200);
      const members = await as('owner', `/teams/${sreId}/members`);
      expect((members.body as { login: string }[]).map((u) => u.login)).toEqual(['carol']);
    });

    it('tells org membership to members and site admins, and redirects anyone else to the public membership', async () => {
      expect((await as('dave', '/orgs/acme/members/carol')).status).toBe(204);
      expect((await as('dave', '/orgs/acme/members/erin')).status).toBe(404);
      expect((await as('root', '/orgs/acme/members/carol')).status).toBe(204);
      expect(await as('erin', '/orgs/acme/members/carol')).toMatchObject({
        status: 303,
        location: '/api/v1/orgs/acme/public_members/carol',
      });
      // Asking about oneself as an outsider is a plain 404.
      expect((await as('erin', '/orgs/acme/members/erin')).status).toBe(404);
      expect((await as('erin', '/orgs/acme/public_members/carol')).status).toBe(404);
    });

    it('lists, creates and edits repo hooks only for repo admins (reqAdmin), with its message', async () => {
      const refusal = {
        message: 'user should be an owner or a collaborator with admin write of a repository',
      };
      expect(await as('alice', '/repos/bootcamp/notes-deploy/hooks')).toMatchObject({
        status: 403,
        body: refusal,
      });
      expect((await as('promobot', '/repos/bootcamp/notes-deploy/hooks')).status).toBe(200);
    });

    it('gives org owners admin access to the org repos', async () => {
      double.addTeam('bootcamp', 'Owners', ['owner']);
      expect(await as('owner', '/repos/bootcamp/notes-deploy/collaborators/alice/permission')).toMatchObject({
        status: 200,
        body: { permission: 'write' },
      });
    });
  });
});
