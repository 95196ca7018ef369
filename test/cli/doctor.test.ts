import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { startGitHubDouble, type GitHubApp, type GitHubDouble } from '../doubles/github/index.js';
import { createTempRepo, type TempRepo } from '../support/git.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';
import { startHarborDouble, type HarborDouble } from '../setup/harbor-double.js';
import { policiesDir, testIo } from './cli-io.js';

let redis: RedisServer;
let prometheus: PrometheusServer;
let gitea: GiteaDouble;
let github: GitHubDouble;
let harbor: HarborDouble;
let deploy: TempRepo;
let env: Record<string, string>;
let readerToken: string;

const policy = (gateQuery: string) => `
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: chat-ui, image: harbor.local/bootcamp/chat-ui }]
  environments:
    - { name: staging, path: chat-ui/staging, update: commit, namespace: chat-staging }
    - { name: prod, path: chat-ui/prod, update: pull-request, from: staging, gates: [request-rate] }
  gates:
    - name: request-rate
      query: '${gateQuery}'
      max: 1000
`;

const GOOD_QUERY = 'sum(rate(chat_requests_total{namespace="{{fromNamespace}}"}[5m]))';

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
  prometheus = await startPrometheus({
    families: [
      {
        type: 'counter',
        name: 'chat_requests',
        series: [{ labels: { namespace: 'chat-staging', status: 'ok' }, rate: 5 }],
      },
    ],
    durationSeconds: 1800,
  });
  deploy = createTempRepo({
    'chat-ui/staging/deployment.yaml': 'image: harbor.local/bootcamp/chat-ui:1a2b3c4\n',
  });
  gitea = await startGiteaDouble();
  const bot = gitea.addUser('promobot');
  readerToken = gitea.addUser('reader').token;
  await gitea.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { promobot: 'admin', reader: 'read' },
  });
  github = await startGitHubDouble();
  github.addUser('ghbot');
  github.addUser('noscope', { scopes: ['read:org'] });
  await github.addRepo({
    owner: 'acme',
    name: 'deploy',
    bare: deploy.bare,
    access: { ghbot: 'admin', noscope: 'write' },
  });
  harbor = await startHarborDouble({ projects: ['bootcamp'], users: { robot: 'robot-secret' } });
  env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: deploy.root,
    REDIS_URL: redis.url,
    PROMOBOT_PUBLIC_URL: 'https://promobot.example.com',
    PROMOBOT_POLICIES: policiesDir({ 'chat.yaml': policy(GOOD_QUERY) }),
    GITEA_URL: gitea.url,
    GITEA_TOKEN: bot.token,
    GITEA_WEBHOOK_SECRET: 'gitea-secret',
    HARBOR_URL: harbor.url,
    HARBOR_USERNAME: 'robot',
    HARBOR_PASSWORD: 'robot-secret',
    HARBOR_WEBHOOK_SECRET: 'Bearer harbor-secret',
    PROMETHEUS_URL: prometheus.url,
  };
  expect(await runCli(['webhooks', 'sync'], testIo(env))).toBe(0);
}, 60_000);

afterEach(() => {
  expect(gitea.violations).toEqual([]);
  expect(gitea.answerProblems).toEqual([]);
  expect(harbor.violations).toEqual([]);
  expect(github.violations).toEqual([]);
  expect(github.answerProblems).toEqual([]);
});

afterAll(async () => {
  await gitea?.close();
  await harbor?.close();
  await github?.close();
  await prometheus?.close();
  await redis?.close();
  deploy?.cleanup();
});

async function doctor(overrides: Record<string, string> = {}) {
  const io = testIo({ ...env, ...overrides });
  const code = await runCli(['doctor'], io);
  return { code, out: io.out() };
}

describe('promobot doctor', () => {
  it('passes a good set-up, changing nothing, and exits 0', async () => {
    const writes = gitea.requests.filter((r) => r.method !== 'GET').length;
    const { code, out } = await doctor();
    expect(out).not.toContain('[FAIL]');
    expect(out).toMatch(/\[ok\] +redis:\/\/127\.0\.0\.1:\d+: answers PING/);
    expect(out).toContain(
      'token of promobot, admin on bootcamp/notes-deploy: can push, set statuses and merge',
    );
    expect(out).toMatch(/bootcamp\/notes-deploy read \(main\): git can read .*; main is at [0-9a-f]{12}/);
    expect(out).toMatch(/chat\/chat-ui\/prod gate request-rate: valid, 1 series now/);
    expect(out).toMatch(/\[ok\] +gitea bootcamp\/notes-deploy: registered/);
    expect(out).toMatch(/\[ok\] +harbor bootcamp: registered/);
    expect(out).toMatch(/all \d+ checks passed/);
    expect(code).toBe(0);
    expect(gitea.requests.filter((r) => r.method !== 'GET').length).toBe(writes);
  });

  it('reports a wrong token with the fix, for the API and for git, and exits 1', async () => {
    const { code, out } = await doctor({ GITEA_TOKEN: 'not-a-token' });
    expect(code).toBe(1);
    expect(out).toMatch(/\[FAIL\] bootcamp\/notes-deploy token: Gitea answered 401 on GET \/user/);
    expect(out).toContain(`fix: GITEA_TOKEN is not accepted by ${gitea.url}: create a token`);
    expect(out).toMatch(/\[FAIL\] bootcamp\/notes-deploy read \(main\): git ls-remote failed/);
    expect(out).toContain('fix: git refused the credentials: set GITEA_TOKEN to a token that can read');
  });

  it('reports a token that cannot push to the deploy repo, and exits 1', async () => {
    const { code, out } = await doctor({ GITEA_TOKEN: readerToken });
    expect(code).toBe(1);
    expect(out).toContain(
      '[FAIL] bootcamp/notes-deploy token: token of reader, read on bootcamp/notes-deploy: can NOT push, set statuses or merge',
    );
    expect(out).toContain('fix: make reader an administrator of bootcamp/notes-deploy');
    // Reading is fine: the failure is exactly the push permission.
    expect(out).toMatch(/\[ok\] +bootcamp\/notes-deploy read \(main\)/);
  });

  it('warns, without failing, when the token may not list hooks (Gitea shows them to admins only)', async () => {
    gitea.failNext({
      method: 'GET',
      path: '/repos/bootcamp/notes-deploy/hooks',
      status: 403,
      body: { message: 'forbidden', url: `${gitea.url}/api/swagger` },
    });
    const { code, out } = await doctor();
    expect(out).toMatch(
      /\[warn\] gitea bootcamp\/notes-deploy: not checked: this token may not list the hooks/,
    );
    expect(out).toContain("fix: run `promobot webhooks sync --check` with a repository admin's token");
    expect(code).toBe(0);
  });

  it('reports an unreachable Prometheus, skips the gate queries, and exits 1', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const { code, out } = await doctor({ PROMETHEUS_URL: closed });
    expect(code).toBe(1);
    expect(out).toContain(`[FAIL] ${closed}: Prometheus unreachable`);
    expect(out).toContain(`fix: check PROMETHEUS_URL (${closed}) and that this machine can reach it`);
    expect(out).toMatch(/\[skip\] chat\/chat-ui\/prod gate request-rate: not checked/);
  });

  it('reports a gate query with a syntax error with the parser message, and exits 1', async () => {
    const broken = policiesDir({ 'chat.yaml': policy('sum(rate(chat_requests_total[5m])') });
    const { code, out } = await doctor({ PROMOBOT_POLICIES: broken });
    expect(code).toBe(1);
    expect(out).toMatch(
      /\[FAIL\] chat\/chat-ui\/prod gate request-rate: syntax error: Prometheus error bad_data/,
    );
    expect(out).toContain('fix: correct the PromQL in the policy');
  });

  it('warns about a valid query that has no data now, without failing', async () => {
    const empty = policiesDir({
      'chat.yaml': policy('sum(rate(chat_requests_total{namespace="nowhere"}[5m]))'),
    });
    const { code, out } = await doctor({ PROMOBOT_POLICIES: empty });
    expect(out).toMatch(/\[warn\] chat\/chat-ui\/prod gate request-rate: valid, but returns no data now/);
    expect(code).toBe(0);
  });

  describe('the look-ups ChatOps needs to decide commands', () => {
    const approvals = () =>
      policiesDir({
        'chat.yaml': policy(GOOD_QUERY).replace(
          'gates: [request-rate] }',
          'gates: [request-rate], approvals: { approvers: [release-lead, team:bootcamp/sre] } }',
        ),
      });
    let writerToken: string;

    beforeAll(() => {
      gitea.addUser('release-lead');
      gitea.addUser('carol');
      gitea.setAccess('bootcamp/notes-deploy', 'release-lead', 'write');
      // The documented least privilege: promobot is a repo admin and a member of the approvers' team.
      gitea.addTeam('bootcamp', 'sre', ['carol', 'promobot']);
      writerToken = gitea.addUser('writer').token;
      gitea.setAccess('bootcamp/notes-deploy', 'writer', 'write');
    });

    it("passes with the least privilege, by reading a named approver's permission and the team's members", async () => {
      const writes = gitea.requests.filter((r) => r.method !== 'GET').length;
      const { code, out } = await doctor({ PROMOBOT_POLICIES: approvals() });
      expect(out).toMatch(
        /\[ok\] +bootcamp\/notes-deploy: read another user's permission: promobot reads the permission of approver @release-lead \(write\)/,
      );
      expect(out).toMatch(
        /\[ok\] +bootcamp\/notes-deploy: read the members of team:bootcamp\/sre: promobot reads the members of bootcamp\/sre/,
      );
      expect(gitea.requests).toContainEqual(
        expect.objectContaining({
          path: '/repos/bootcamp/notes-deploy/collaborators/release-lead/permission',
        }),
      );
      expect(code).toBe(0);
      expect(gitea.requests.filter((r) => r.method !== 'GET').length).toBe(writes);
    });

    it('names both missing capabilities of a write collaborator outside the team, with their fixes, and exits 1', async () => {
      const { code, out } = await doctor({ PROMOBOT_POLICIES: approvals(), GITEA_TOKEN: writerToken });
      expect(code).toBe(1);
      expect(out).toMatch(
        /\[FAIL\] bootcamp\/notes-deploy: read another user's permission: promobot could not read @release-lead's permission .*\[missing: read-permission\]\n +fix: make promobot's Gitea user writer an administrator of bootcamp\/notes-deploy/,
      );
      expect(out).toMatch(
        /\[FAIL\] bootcamp\/notes-deploy: read the members of team:bootcamp\/sre: .*Must be an organization member.*\[missing: read-org-teams\]\n +fix: add promobot's Gitea user writer to the team bootcamp\/sre/,
      );
      // The token itself can push, set statuses and merge: only the look-ups are missing.
      expect(out).toContain(
        '[ok]   bootcamp/notes-deploy token: token of writer, write on bootcamp/notes-deploy',
      );
    });

    it("warns when the deploy branch's protection asks for reviews or checks promobot's merges lack", async () => {
      const plain = await doctor();
      expect(plain.out).toMatch(/\[ok\] +bootcamp\/notes-deploy: merge into main: main is not protected/);
      gitea.protectBranch('bootcamp/notes-deploy', 'main', {
        requiredApprovals: 1,
        statusChecks: ['ci', 'promobot/gates'],
      });
      try {
        const { code, out } = await doctor();
        expect(out).toContain(
          "[warn] bootcamp/notes-deploy: merge into main: merges into main need 1 official approving review(s) (/approve is not one) and the status checks ci: promobot's merges wait for them",
        );
        expect(code).toBe(0);
      } finally {
        gitea.protectBranch('bootcamp/notes-deploy', 'main', undefined);
      }
    });

    it('warns about a team: approver promobot finds in no team of the org (misspelled or missing)', async () => {
      const misspelled = policiesDir({
        'chat.yaml': policy(GOOD_QUERY).replace(
          'gates: [request-rate] }',
          'gates: [request-rate], approvals: { approvers: [team:bootcamp/srre] } }',
        ),
      });
      const { code, out } = await doctor({ PROMOBOT_POLICIES: misspelled });
      expect(out).toMatch(
        /\[warn\] bootcamp\/notes-deploy: read the members of team:bootcamp\/srre: promobot is in no team bootcamp\/srre: the team does not exist/,
      );
      expect(out).toContain('fix: create the team bootcamp/srre and add promobot to it, or correct the name');
      expect(code).toBe(0);
    });

    it('asks about a probe login when no approver is named, and fails a writer the same way', async () => {
      const { out } = await doctor({ GITEA_TOKEN: writerToken });
      expect(out).toMatch(
        /\[FAIL\] bootcamp\/notes-deploy: read another user's permission: .*promobot-doctor-probe/,
      );
      const ok = await doctor();
      expect(ok.out).toMatch(
        /\[ok\] +bootcamp\/notes-deploy: read another user's permission: promobot reads the permission of another user \(none\)/,
      );
    });
  });

  it('reports an unreachable Redis and missing hooks with their fixes', async () => {
    const { code, out } = await doctor({
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      PROMOBOT_PUBLIC_URL: 'https://other.example.com',
    });
    expect(code).toBe(1);
    expect(out).toMatch(/\[FAIL\] redis:\/\/127\.0\.0\.1:\d+: no answer/);
    expect(out).toContain('fix: start Redis, or set REDIS_URL');
    expect(out).toMatch(
      /\[FAIL\] gitea bootcamp\/notes-deploy: no hook at promobot's URL\n +fix: run `promobot webhooks sync`/,
    );
  });
});

describe('promobot doctor on GitHub', () => {
  const githubPolicy = `
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: acme }
spec:
  deployRepo: { scm: github, repo: acme/deploy }
  apps: [{ name: acme-ui, image: harbor.local/acme/acme-ui }]
  environments: [{ name: dev, path: chat-ui/staging, update: commit }]
`;
  const githubEnv = () => ({
    PROMOBOT_POLICIES: policiesDir({ 'acme.yaml': githubPolicy }),
    GITHUB_API_URL: github.url,
    GITHUB_WEBHOOK_SECRET: 'github-secret',
    HARBOR_URL: '',
  });

  it("reads the token's login, permission and scopes, and git read access", async () => {
    const token = github.addUser('ghbot2').token;
    github.setAccess('acme/deploy', 'ghbot2', 'write');
    const { out } = await doctor({ ...githubEnv(), GITHUB_TOKEN: token });
    expect(out).toContain(
      '[ok]   acme/deploy token: classic token of ghbot2, write on acme/deploy: can push, set statuses and merge',
    );
    expect(out).toMatch(/\[ok\] +acme\/deploy read \(main\): git can read/);
    // GitHub shows a repository's hooks to its admins only: a write token's doctor says it could not check them.
    expect(out).toMatch(
      /\[warn\] github acme\/deploy: not checked: this token may not list the hooks of acme\/deploy/,
    );
  });

  it('proves a fine-grained token (no X-OAuth-Scopes) by the read calls instead of skipping its scopes', async () => {
    const token = github.addUser('ghfine', {
      fineGrained: {
        owner: 'acme',
        permissions: {
          contents: 'write',
          pull_requests: 'write',
          issues: 'write',
          statuses: 'write',
          members: 'read',
        },
      },
    }).token;
    github.setAccess('acme/deploy', 'ghfine', 'write');
    const { out } = await doctor({ ...githubEnv(), GITHUB_TOKEN: token });
    expect(out).toContain(
      '[ok]   acme/deploy token: fine-grained token of ghfine, write on acme/deploy: can push, set statuses and merge',
    );
    expect(out).toMatch(
      /\[ok\] +acme\/deploy token permissions: fine-grained token \(GitHub shows no scopes\): reads Pull requests, Commit statuses on acme\/deploy; write levels cannot be read without writing, so check it also has Contents, Pull requests, Issues, Commit statuses: write/,
    );
    expect(out).toMatch(/\[ok\] +acme\/deploy read \(main\): git can read/);
  });

  it('fails a fine-grained token without Commit statuses, naming the permission and the fix', async () => {
    const token = github.addUser('ghfine-nostatus', {
      fineGrained: {
        owner: 'acme',
        permissions: { contents: 'write', pull_requests: 'write', issues: 'write', members: 'read' },
      },
    }).token;
    github.setAccess('acme/deploy', 'ghfine-nostatus', 'write');
    const { code, out } = await doctor({ ...githubEnv(), GITHUB_TOKEN: token });
    expect(code).toBe(1);
    expect(out).toMatch(
      /\[FAIL\] acme\/deploy token permissions: fine-grained token \(GitHub shows no scopes\): GitHub refused reading Commit statuses \(403 Resource not accessible by personal access token\) on acme\/deploy\n +fix: give the fine-grained token \(or GitHub App\) resource owner acme, access to acme\/deploy and the permissions Contents, Pull requests, Issues, Commit statuses: write/,
    );
    expect(out).not.toMatch(/\[FAIL\] acme\/deploy token permissions: .*Pull requests/);
  });

  it('reports a token without the repo scope with the fix, and exits 1', async () => {
    const token = github.addUser('noscope2', { scopes: ['read:org'] }).token;
    github.setAccess('acme/deploy', 'noscope2', 'write');
    const { code, out } = await doctor({ ...githubEnv(), GITHUB_TOKEN: token });
    expect(code).toBe(1);
    expect(out).toMatch(/\[FAIL\] acme\/deploy token: GitHub answered 403 on GET \/repos\/acme\/deploy/);
    expect(out).toContain(
      'fix: the token may not read acme/deploy: use a classic token with the repo and read:org scopes',
    );
  });

  const appEnv = (app: GitHubApp, installationId = app.installations.acme ?? 0) => ({
    ...githubEnv(),
    GITHUB_APP_ID: String(app.id),
    GITHUB_APP_INSTALLATION_ID: String(installationId),
    GITHUB_APP_PRIVATE_KEY: app.privateKey,
  });

  it('checks a GitHub App: its installation token, its name from GET /app, its permissions and git read', async () => {
    const app = github.addApp({
      slug: 'acmebot',
      account: 'acme',
      permissions: {
        contents: 'write',
        pull_requests: 'write',
        issues: 'write',
        statuses: 'write',
        members: 'read',
      },
    });
    const { out } = await doctor(appEnv(app));
    expect(out).toContain(
      '[ok]   acme/deploy token: GitHub App acmebot[bot] reaches acme/deploy: can push, set statuses and merge',
    );
    expect(out).toMatch(/\[ok\] +acme\/deploy read \(main\): git can read/);
    // Installation tokens cannot call GET /user: doctor never asks.
    expect(github.requests.filter((r) => r.path === '/user' && r.status === 403)).toEqual([]);
  });

  it('names the permissions a GitHub App lacks, with where to grant them, and exits 1', async () => {
    const app = github.addApp({
      slug: 'acmebot-narrow',
      account: 'acme',
      permissions: { contents: 'write', pull_requests: 'write' },
    });
    const { code, out } = await doctor(appEnv(app));
    expect(code).toBe(1);
    expect(out).toContain(
      '[FAIL] acme/deploy token: GitHub App acmebot-narrow[bot] lacks issues: write, statuses: write, members: read',
    );
    expect(out).toContain(
      'grant Repository → Issues: write, Repository → Commit statuses: write, Organization → Members: read',
    );
  });

  it('reports an installation that is not the App’s with the settings to check, and exits 1', async () => {
    const app = github.addApp({ slug: 'acmebot-lost', account: 'acme', permissions: { contents: 'read' } });
    const { code, out } = await doctor(appEnv(app, 999_999));
    expect(code).toBe(1);
    expect(out).toMatch(/\[FAIL\] acme\/deploy token: GitHub refused to make an installation token \(404\)/);
    expect(out).toContain('GITHUB_APP_INSTALLATION_ID (999999)');
  });
});
