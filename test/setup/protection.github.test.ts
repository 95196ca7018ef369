import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { PromotionPolicy } from '../../src/policy/index.js';
import { HOSTS } from '../../src/hosts/index.js';
import { checkBranchProtection, syncProtection } from '../../src/setup/index.js';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/index.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';

const run = promisify(execFile);
const GIT_ENV = { ...GIT_TEST_ENV, GIT_TERMINAL_PROMPT: '0' };
const REPO = 'bootcamp/notes-deploy';

const policy = (extra = '') =>
  PromotionPolicy.parse(
    parse(`
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: github, repo: ${REPO}${extra} }
  apps: [{ name: chat-ui, image: harbor.local/bootcamp/chat-ui }]
  environments:
    - { name: dev, path: chat-ui/dev, update: commit }
    - { name: prod, path: chat-ui/prod, from: dev, update: pull-request, approvals: { required: 1, approvers: [carol] } }
`),
  );

let github: GitHubDouble;
let deploy: TempRepo;
const tokens: Record<string, string> = {};

// setup needs a repository admin; promobot itself only writes (docs/ACCESS.md), so it is named with --bot.
const config = (login = 'owner') => loadConfig({ GITHUB_API_URL: github.url, GITHUB_TOKEN: tokens[login]! });

async function pushToMain(login: string, file: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'protection-push-'));
  const url = `${github.url.replace('http://', `http://${login}:${tokens[login]}@`)}/${REPO}.git`;
  await run('git', ['clone', '--quiet', url, dir], { env: GIT_ENV });
  writeFileSync(join(dir, file), `${login}\n`);
  await run('git', ['add', file], { cwd: dir, env: GIT_ENV });
  await run('git', ['commit', '--quiet', '-m', `${login} pushes`], { cwd: dir, env: GIT_ENV });
  await run('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir, env: GIT_ENV });
}

/** Clones as `login`, replaces the tip of `main` by a new commit on its parent and force-pushes it. */
async function forcePushToMain(login: string, file: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'protection-force-'));
  const url = `${github.url.replace('http://', `http://${login}:${tokens[login]}@`)}/${REPO}.git`;
  await run('git', ['clone', '--quiet', url, dir], { env: GIT_ENV });
  await run('git', ['reset', '--quiet', '--hard', 'HEAD~1'], { cwd: dir, env: GIT_ENV });
  writeFileSync(join(dir, file), `${login}\n`);
  await run('git', ['add', file], { cwd: dir, env: GIT_ENV });
  await run('git', ['commit', '--quiet', '-m', `${login} rewrites main`], { cwd: dir, env: GIT_ENV });
  await run('git', ['push', '--quiet', '--force', 'origin', 'HEAD:main'], { cwd: dir, env: GIT_ENV });
}

/** A REST call to the double as the repository's admin. */
async function asOwner(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${github.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens.owner}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function setStatus(sha: string, context: string, state: string) {
  const response = await fetch(`${github.url}/repos/${REPO}/statuses/${sha}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.promobot}`, 'content-type': 'application/json' },
    body: JSON.stringify({ context, state }),
  });
  expect(response.status).toBe(201);
}

beforeAll(async () => {
  deploy = createTempRepo({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:1a2b3c4\n' });
  git(deploy.work, 'checkout', '--quiet', '-b', 'promobot/prod/chat-ui');
  writeFileSync(join(deploy.work, 'chat-ui/prod/deployment.yaml'), 'image: chat-ui:3f9c2ab\n');
  git(deploy.work, 'commit', '--quiet', '-am', 'promote chat-ui to prod');
  git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/promobot/prod/chat-ui');
  github = await startGitHubDouble();
  for (const login of ['owner', 'promobot', 'carol', 'dave']) tokens[login] = github.addUser(login).token;
  await github.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { owner: 'admin', promobot: 'write', carol: 'write', dave: 'write' },
  });
});

afterAll(async () => {
  expect(github.violations).toEqual([]);
  expect(github.answerProblems).toEqual([]);
  await github.close();
  deploy.cleanup();
});

describe('promobot setup: a ruleset on the GitHub double', () => {
  it('reports the ruleset missing, creates it with promobot as bypass actor, then changes nothing', async () => {
    const input = { config: config(), policies: [policy()], botLogin: 'promobot' };
    expect((await syncProtection({ ...input, checkOnly: true })).map((o) => o.action)).toEqual(['missing']);
    expect(github.rulesets(REPO)).toEqual([]);
    expect((await syncProtection(input)).map((o) => o.action)).toEqual(['created']);
    const [ruleset] = github.rulesets(REPO);
    expect(ruleset).toMatchObject({
      name: 'promobot: main',
      enforcement: 'active',
      conditions: { ref_name: { include: ['refs/heads/main'] } },
      bypass_actors: [{ actor_type: 'User', bypass_mode: 'always' }],
    });
    expect(JSON.stringify(ruleset)).toContain('"context":"promobot/approval"');
    expect((await syncProtection(input)).map((o) => o.action)).toEqual(['unchanged']);
  });

  it("refuses a person's direct push with GitHub's rule violations; promobot's push lands", async () => {
    await expect(pushToMain('carol', 'carol.txt')).rejects.toThrow(
      /GH013: Repository rule violations found for refs\/heads\/main[\s\S]*Changes must be made through a pull request[\s\S]*Required status check "promobot\/approval" is expected/,
    );
    await pushToMain('promobot', 'entry.txt');
    expect(git(deploy.bare, 'show', 'main:entry.txt')).toBe('promobot');
  });

  it("refuses a person's merge while a promobot status is pending (405), and lets it through once green", async () => {
    const pr = await github.openPullRequest(REPO, {
      author: 'promobot',
      head: 'promobot/prod/chat-ui',
      base: 'main',
      title: 'chat-ui → prod',
    });
    const sha = git(deploy.bare, 'rev-parse', 'promobot/prod/chat-ui');
    await setStatus(sha, 'promobot/promotion', 'success');
    await setStatus(sha, 'promobot/approval', 'pending');
    const refused = await fetch(`${github.url}/repos/${REPO}/pulls/${pr.number}/merge`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.carol}`, 'content-type': 'application/json' },
      body: JSON.stringify({ merge_method: 'merge' }),
    });
    expect(refused.status).toBe(405);
    expect(((await refused.json()) as { message: string }).message).toContain(
      'Required status check "promobot/approval" is expected.',
    );
    await setStatus(sha, 'promobot/approval', 'success');
    expect(await github.merge(REPO, pr.number, 'carol')).toBe(200);
  });

  it('adds a pusher as bypass actor, and repairs a ruleset changed by hand', async () => {
    const outcomes = await syncProtection({
      config: config(),
      policies: [policy(', protection: { pushers: [dave] }')],
      botLogin: 'promobot',
    });
    expect(outcomes).toMatchObject([
      { action: 'updated', differences: [expect.stringMatching(/^bypass list lacks User \d+$/)] },
    ]);
    await pushToMain('dave', 'dave.txt');
    const back = await syncProtection({
      config: config(),
      policies: [policy()],
      botLogin: 'promobot',
      checkOnly: true,
    });
    expect(back).toMatchObject([
      { action: 'differs', differences: [expect.stringMatching(/^bypass list also has User \d+$/)] },
    ]);
  });

  it("lets doctor, with promobot's own write token, read the ruleset and judge it", async () => {
    const client = HOSTS.github.deployRepos.connect(config('promobot'))!.protection;
    const withDave = [policy(', protection: { pushers: [dave] }')];
    expect(await checkBranchProtection(client, 'github', withDave, REPO, 'main')).toMatchObject({
      status: 'pass',
    });
    expect(await checkBranchProtection(client, 'github', [policy()], REPO, 'main')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/bypass list also has User \d+/),
      fix: expect.stringContaining('promobot setup'),
    });
  });

  it('makes a GitHub App with Administration: write the bypass actor, by its App id', async () => {
    const app = github.addApp({
      slug: 'promobot-app',
      account: 'bootcamp',
      permissions: { contents: 'write', pull_requests: 'write', statuses: 'write', administration: 'write' },
    });
    const appConfig = loadConfig({
      GITHUB_API_URL: github.url,
      GITHUB_APP_ID: String(app.id),
      GITHUB_APP_INSTALLATION_ID: String(app.installations.bootcamp),
      GITHUB_APP_PRIVATE_KEY: app.privateKey,
    });
    const outcomes = await syncProtection({ config: appConfig, policies: [policy()] });
    expect(outcomes).toMatchObject([
      {
        action: 'updated',
        differences: [
          `bypass list lacks Integration ${app.id}`,
          // promobot's user and dave, from the runs before.
          expect.stringMatching(/^bypass list also has User \d+, User \d+$/),
        ],
      },
    ]);
    expect(github.rulesets(REPO)[0]?.bypass_actors).toEqual([
      { actor_type: 'Integration', actor_id: app.id, bypass_mode: 'always' },
    ]);
  });

  it("fails with the fix when the token is not an admin's", async () => {
    const outcomes = await syncProtection({ config: config('promobot'), policies: [policy()] });
    expect(outcomes).toMatchObject([{ action: 'failed', fix: expect.stringContaining('admin') }]);
  });

  it('blocks force pushes (non_fast_forward) for everyone it binds, and reports a ruleset that lets them through', async () => {
    await syncProtection({ config: config(), policies: [policy()], botLogin: 'promobot' });
    const ours = github.rulesets(REPO)[0]!;
    expect((ours.rules as { type: string }[]).map((r) => r.type)).toContain('non_fast_forward');
    // A ruleset of the owner's that blocks force pushes and has no bypass list binds promobot too.
    const created = await asOwner('POST', `/repos/${REPO}/rulesets`, {
      name: 'no force pushes',
      target: 'branch',
      enforcement: 'active',
      conditions: { ref_name: { include: ['refs/heads/main'], exclude: [] } },
      rules: [{ type: 'non_fast_forward' }],
    });
    expect(created.status).toBe(201);
    await expect(forcePushToMain('promobot', 'rewrite.txt')).rejects.toThrow(
      /GH013: Repository rule violations found for refs\/heads\/main[\s\S]*Cannot force-push to this branch/,
    );
    await pushToMain('promobot', 'fast-forward.txt');
    expect(git(deploy.bare, 'show', 'main:fast-forward.txt')).toBe('promobot');
    // promobot's ruleset changed by hand so force pushes are no longer blocked: --check and doctor say so.
    const listed = (await (await asOwner('GET', `/repos/${REPO}/rulesets`)).json()) as {
      id: number;
      name: string;
    }[];
    const mine = listed.find((r) => r.name === 'promobot: main')!;
    const edited = await asOwner('PUT', `/repos/${REPO}/rulesets/${mine.id}`, {
      rules: (ours.rules as { type: string }[]).filter((r) => r.type !== 'non_fast_forward'),
    });
    expect(edited.status).toBe(200);
    const check = await syncProtection({
      config: config(),
      policies: [policy()],
      botLogin: 'promobot',
      checkOnly: true,
    });
    expect(check).toMatchObject([{ action: 'differs', differences: ['force pushes are allowed'] }]);
  });
});
