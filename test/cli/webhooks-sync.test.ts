import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/index.js';
import { createTempRepo, type TempRepo } from '../support/git.js';
import { startHarborDouble, type HarborDouble } from '../setup/harbor-double.js';
import { policiesDir, testIo } from './cli-io.js';

const PUBLIC = 'https://promobot.example.com';
let gitea: GiteaDouble;
let github: GitHubDouble;
let harbor: HarborDouble;
let deploy: TempRepo;
let env: Record<string, string>;

const policy = (name: string, scm: string, repo: string, image: string, app = 'chat-ui') => `
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: ${name} }
spec:
  deployRepo: { scm: ${scm}, repo: ${repo} }
  apps: [{ name: ${app}, image: ${image} }]
  environments: [{ name: dev, path: chat-ui/dev, update: commit }]
`;

beforeAll(async () => {
  deploy = createTempRepo({
    'chat-ui/dev/deployment.yaml': 'image: harbor.local/bootcamp/chat-ui:1a2b3c4\n',
  });
  gitea = await startGiteaDouble();
  const giteaAdmin = gitea.addUser('admin');
  gitea.addUser('someone');
  await gitea.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { admin: 'admin', someone: 'admin' },
  });
  github = await startGitHubDouble();
  const githubAdmin = github.addUser('admin');
  await github.addRepo({ owner: 'acme', name: 'deploy', bare: deploy.bare, access: { admin: 'admin' } });
  harbor = await startHarborDouble({ projects: ['bootcamp', 'acme'], users: { robot: 'robot-secret' } });
  env = {
    PROMOBOT_PUBLIC_URL: PUBLIC,
    PROMOBOT_POLICIES: policiesDir({
      'chat.yaml': policy('chat', 'gitea', 'bootcamp/notes-deploy', 'harbor.local/bootcamp/chat-ui'),
      'acme.yaml': policy('acme', 'github', 'acme/deploy', 'harbor.local/acme/acme-ui', 'acme-ui'),
    }),
    GITEA_URL: gitea.url,
    GITEA_TOKEN: giteaAdmin.token,
    GITEA_WEBHOOK_SECRET: 'gitea-secret,gitea-old-secret',
    GITHUB_API_URL: github.url,
    GITHUB_TOKEN: githubAdmin.token,
    GITHUB_WEBHOOK_SECRET: 'github-secret',
    HARBOR_URL: harbor.url,
    HARBOR_USERNAME: 'robot',
    HARBOR_PASSWORD: 'robot-secret',
    HARBOR_WEBHOOK_SECRET: 'Bearer harbor-secret',
  };
});

afterEach(() => {
  expect(gitea.violations).toEqual([]);
  expect(gitea.answerProblems).toEqual([]);
  expect(github.violations).toEqual([]);
  expect(github.answerProblems).toEqual([]);
  expect(harbor.violations).toEqual([]);
});

afterAll(async () => {
  await gitea?.close();
  await github?.close();
  await harbor?.close();
  deploy?.cleanup();
});

describe('promobot webhooks sync', () => {
  it('creates the Gitea, GitHub and Harbor hooks, active, with the first secret of each', async () => {
    // Somebody else's hook on the same repo must survive every run untouched.
    const other = await fetch(`${gitea.url}/api/v1/repos/bootcamp/notes-deploy/hooks`, {
      method: 'POST',
      headers: { Authorization: `token ${env.GITEA_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        type: 'gitea',
        active: true,
        events: ['push'],
        config: { url: 'https://ci.example.com/hook', content_type: 'json' },
      }),
    });
    expect(other.status).toBe(201);

    const io = testIo(env);
    expect(await runCli(['webhooks', 'sync'], io)).toBe(0);
    expect(io.err()).toBe('');
    expect(io.out()).toMatch(/created +gitea bootcamp\/notes-deploy/);
    expect(io.out()).toMatch(/created +github acme\/deploy/);
    expect(io.out()).toMatch(/created +harbor bootcamp/);
    expect(io.out()).toMatch(/created +harbor acme/);

    const [ci, ours] = gitea.hooks('bootcamp/notes-deploy');
    expect(ci?.config.url).toBe('https://ci.example.com/hook');
    expect(ours).toMatchObject({
      active: true,
      type: 'gitea',
      branchFilter: '*',
      events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
      config: { url: `${PUBLIC}/webhooks/gitea`, content_type: 'json', secret: 'gitea-secret' },
    });

    const listed = await fetch(`${github.url}/repos/acme/deploy/hooks`, {
      headers: { Authorization: `Bearer ${env.GITHUB_TOKEN}` },
    });
    expect(await listed.json()).toMatchObject([
      {
        active: true,
        events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
        config: { url: `${PUBLIC}/webhooks/github`, content_type: 'json', insecure_ssl: '0' },
      },
    ]);

    expect(harbor.policies('bootcamp')).toMatchObject([
      {
        name: 'promobot',
        enabled: true,
        event_types: ['PUSH_ARTIFACT'],
        targets: [
          {
            type: 'http',
            address: `${PUBLIC}/webhooks/harbor`,
            auth_header: 'Bearer harbor-secret',
            skip_cert_verify: false,
            payload_format: 'Default',
          },
        ],
      },
    ]);
  });

  it('changes nothing on a second run, and says so', async () => {
    const before = gitea.requests.filter((r) => r.method !== 'GET').length;
    const io = testIo(env);
    expect(await runCli(['webhooks', 'sync'], io)).toBe(0);
    expect(io.out()).toContain('nothing changed: every hook is already registered as wanted');
    expect(io.out()).not.toMatch(/created|updated/);
    expect(gitea.requests.filter((r) => r.method !== 'GET').length).toBe(before);
    expect(gitea.hooks('bootcamp/notes-deploy')).toHaveLength(2);
    expect(harbor.policies('bootcamp')).toHaveLength(1);
  });

  it('repairs a hook at its URL that someone deactivated, and leaves the other hook alone', async () => {
    const ours = gitea.hooks('bootcamp/notes-deploy')[1]!;
    ours.active = false;
    ours.events = ['push'];
    const io = testIo(env);
    expect(await runCli(['webhooks', 'sync'], io)).toBe(0);
    expect(io.out()).toMatch(
      /updated +gitea bootcamp\/notes-deploy \(hook \d+\): inactive; events lack pull_request/,
    );
    expect(gitea.hooks('bootcamp/notes-deploy')[1]).toMatchObject({ active: true });
    expect(gitea.hooks('bootcamp/notes-deploy')[0]).toMatchObject({
      active: true,
      events: ['push'],
      config: { url: 'https://ci.example.com/hook' },
    });
  });

  it('re-sends the hooks with the new first secret on --force, for a rotation', async () => {
    const io = testIo({ ...env, GITEA_WEBHOOK_SECRET: 'rotated,gitea-secret' });
    expect(await runCli(['webhooks', 'sync', '--force'], io)).toBe(0);
    expect(io.out()).toMatch(
      /updated +gitea bootcamp\/notes-deploy \(hook \d+\): re-sent with the current secret/,
    );
    expect(gitea.hooks('bootcamp/notes-deploy')[1]?.config.secret).toBe('rotated');
    expect(gitea.hooks('bootcamp/notes-deploy')[0]?.config.url).toBe('https://ci.example.com/hook');
    expect(harbor.policies('bootcamp')[0]?.targets[0]?.auth_header).toBe('Bearer harbor-secret');
  });

  it('moves its own Harbor policy to a new public URL instead of failing on the taken name', async () => {
    const moved = { ...env, PROMOBOT_PUBLIC_URL: 'https://promobot-new.example.com' };
    const io = testIo(moved);
    expect(await runCli(['webhooks', 'sync'], io)).toBe(0);
    expect(harbor.policies('bootcamp')).toMatchObject([
      { name: 'promobot', targets: [{ address: 'https://promobot-new.example.com/webhooks/harbor' }] },
    ]);
    // Gitea has no such names: the old hook stays (it may be someone's), and a new one is made.
    expect(gitea.hooks('bootcamp/notes-deploy')).toHaveLength(3);
    // Back to the original URL for the tests that follow.
    expect(await runCli(['webhooks', 'sync'], testIo(env))).toBe(0);
    expect(harbor.policies('bootcamp')).toHaveLength(1);
  });

  it('reports what is missing with --check and changes nothing', async () => {
    const io = testIo({ ...env, PROMOBOT_PUBLIC_URL: 'https://elsewhere.example.com' });
    const before = gitea.hooks('bootcamp/notes-deploy').length;
    expect(await runCli(['webhooks', 'sync', '--check'], io)).toBe(1);
    expect(io.out()).toMatch(/missing +gitea bootcamp\/notes-deploy/);
    expect(gitea.hooks('bootcamp/notes-deploy')).toHaveLength(before);
  });

  it('explains a token that may not manage hooks and exits 1', async () => {
    const reader = gitea.addUser('reader');
    gitea.setAccess('bootcamp/notes-deploy', 'reader', 'write');
    const io = testIo({
      ...env,
      PROMOBOT_PUBLIC_URL: 'https://promobot-2.example.com',
      GITEA_TOKEN: reader.token,
      HARBOR_URL: '',
      GITHUB_TOKEN: '',
    });
    expect(await runCli(['webhooks', 'sync'], io)).toBe(1);
    expect(io.out()).toMatch(/FAILED +gitea bootcamp\/notes-deploy: .*403/);
    expect(io.out()).toContain("fix: make the token's user an admin of bootcamp/notes-deploy");
    expect(io.out()).toMatch(
      /FAILED +github acme\/deploy: no credentials for github\n +fix: set GITHUB_TOKEN/,
    );
  });

  it('registers the GitHub hook as a GitHub App with Webhooks: write, and names that permission when it lacks it', async () => {
    const appEnv = (slug: string, hooks: boolean) => {
      const app = github.addApp({
        slug,
        account: 'acme',
        permissions: { contents: 'write', ...(hooks ? { repository_hooks: 'write' as const } : {}) },
      });
      return {
        ...env,
        HARBOR_URL: '',
        GITHUB_TOKEN: '',
        GITHUB_APP_ID: String(app.id),
        GITHUB_APP_INSTALLATION_ID: String(app.installations.acme),
        GITHUB_APP_PRIVATE_KEY: app.privateKey,
      };
    };
    const lacking = testIo({ ...appEnv('hookless', false), PROMOBOT_PUBLIC_URL: 'https://app.example.com' });
    expect(await runCli(['webhooks', 'sync'], lacking)).toBe(1);
    expect(lacking.out()).toMatch(/FAILED +github acme\/deploy: .*403/);
    expect(lacking.out()).toContain('fix: give the GitHub App the Webhooks: write repository permission');

    const io = testIo({ ...appEnv('hooker', true), PROMOBOT_PUBLIC_URL: 'https://app.example.com' });
    expect(await runCli(['webhooks', 'sync'], io)).toBe(0);
    expect(io.out()).toMatch(/created +github acme\/deploy/);
    const again = testIo({ ...appEnv('hooker2', true), PROMOBOT_PUBLIC_URL: 'https://app.example.com' });
    expect(await runCli(['webhooks', 'sync'], again)).toBe(0);
    expect(again.out()).not.toMatch(/created +github/);
  });
});
