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
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
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
  deployRepo: { scm: gitea, repo: ${REPO}${extra} }
  apps: [{ name: chat-ui, image: harbor.local/bootcamp/chat-ui }]
  gates: [{ name: errors, query: 'sum(rate(x[5m]))', max: 1 }]
  environments:
    - { name: dev, path: chat-ui/dev, update: commit }
    - { name: prod, path: chat-ui/prod, from: dev, update: pull-request, gates: [errors] }
`),
  );

let gitea: GiteaDouble;
let deploy: TempRepo;
const tokens: Record<string, string> = {};

const config = () => loadConfig({ GITEA_URL: gitea.url, GITEA_TOKEN: tokens.promobot! });

/** Clones as `login`, commits one file on `main` and pushes it straight to `main`. */
async function pushToMain(login: string, file: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'protection-push-'));
  const url = `${gitea.url.replace('http://', `http://${login}:${tokens[login]}@`)}/${REPO}.git`;
  await run('git', ['clone', '--quiet', url, dir], { env: GIT_ENV });
  writeFileSync(join(dir, file), `${login}\n`);
  await run('git', ['add', file], { cwd: dir, env: GIT_ENV });
  await run('git', ['commit', '--quiet', '-m', `${login} pushes`], { cwd: dir, env: GIT_ENV });
  await run('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir, env: GIT_ENV });
}

/** Clones as `login`, replaces the tip of `main` by a new commit on its parent and force-pushes it. */
async function forcePushToMain(login: string, file: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'protection-force-'));
  const url = `${gitea.url.replace('http://', `http://${login}:${tokens[login]}@`)}/${REPO}.git`;
  await run('git', ['clone', '--quiet', url, dir], { env: GIT_ENV });
  await run('git', ['reset', '--quiet', '--hard', 'HEAD~1'], { cwd: dir, env: GIT_ENV });
  writeFileSync(join(dir, file), `${login}\n`);
  await run('git', ['add', file], { cwd: dir, env: GIT_ENV });
  await run('git', ['commit', '--quiet', '-m', `${login} rewrites main`], { cwd: dir, env: GIT_ENV });
  await run('git', ['push', '--quiet', '--force', 'origin', 'HEAD:main'], { cwd: dir, env: GIT_ENV });
}

beforeAll(async () => {
  deploy = createTempRepo({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:1a2b3c4\n' });
  git(deploy.work, 'checkout', '--quiet', '-b', 'promobot/prod/chat-ui');
  writeFileSync(join(deploy.work, 'chat-ui/prod/deployment.yaml'), 'image: chat-ui:3f9c2ab\n');
  git(deploy.work, 'commit', '--quiet', '-am', 'promote chat-ui to prod');
  git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/promobot/prod/chat-ui');
  gitea = await startGiteaDouble();
  for (const login of ['promobot', 'alice', 'bob', 'reader']) tokens[login] = gitea.addUser(login).token;
  await gitea.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: { promobot: 'admin', alice: 'write', bob: 'write', reader: 'read' },
  });
});

afterAll(async () => {
  expect(gitea.violations).toEqual([]);
  expect(gitea.answerProblems).toEqual([]);
  await gitea.close();
  deploy.cleanup();
});

describe('promobot setup: branch protection on the Gitea double', () => {
  it('finds the branch unprotected first: --check reports it missing and doctor warns with the fix', async () => {
    const outcomes = await syncProtection({ config: config(), policies: [policy()], checkOnly: true });
    expect(outcomes.map((o) => o.action)).toEqual(['missing']);
    expect(gitea.protections(REPO)).toEqual([]);
    const check = await checkBranchProtection(
      HOSTS.gitea.deployRepos.connect(config())!.protection,
      'gitea',
      [policy()],
      REPO,
      'main',
    );
    expect(check).toMatchObject({ status: 'warn', fix: expect.stringContaining('promobot setup') });
  });

  it('creates the rule, then a second run changes nothing', async () => {
    const first = await syncProtection({ config: config(), policies: [policy()] });
    expect(first).toMatchObject([
      { action: 'created', contexts: ['promobot/approval', 'promobot/gates', 'promobot/promotion'] },
    ]);
    expect(gitea.protections(REPO)).toMatchObject([
      {
        rule_name: 'main',
        enable_status_check: true,
        status_check_contexts: ['promobot/approval', 'promobot/gates', 'promobot/promotion'],
        enable_push: true,
        enable_push_whitelist: true,
        push_whitelist_usernames: ['promobot'],
      },
    ]);
    const again = await syncProtection({ config: config(), policies: [policy()] });
    expect(again.map((o) => o.action)).toEqual(['unchanged']);
    const check = await checkBranchProtection(
      HOSTS.gitea.deployRepos.connect(config())!.protection,
      'gitea',
      [policy()],
      REPO,
      'main',
    );
    expect(check?.status).toBe('pass');
  });

  it("refuses a person's push to the branch with Gitea's pre-receive message; the bot's push lands", async () => {
    await expect(pushToMain('alice', 'alice.txt')).rejects.toThrow(
      /Gitea: Not allowed to push to protected branch main[\s\S]*pre-receive hook declined/,
    );
    await pushToMain('promobot', 'entry.txt');
    expect(git(deploy.bare, 'show', 'main:entry.txt')).toBe('promobot');
  });

  it("refuses a person's merge of a PR whose promobot statuses are not all green (405), then merges", async () => {
    const pr = await gitea.openPullRequest(REPO, {
      author: 'promobot',
      head: 'promobot/prod/chat-ui',
      base: 'main',
      title: 'chat-ui → prod',
    });
    const sha = git(deploy.bare, 'rev-parse', 'promobot/prod/chat-ui');
    const setStatus = async (context: string, state: string) => {
      const response = await fetch(`${gitea.url}/api/v1/repos/${REPO}/statuses/${sha}`, {
        method: 'POST',
        headers: { authorization: `token ${tokens.promobot}`, 'content-type': 'application/json' },
        body: JSON.stringify({ context, state }),
      });
      expect(response.status).toBe(201);
    };
    await setStatus('promobot/promotion', 'success');
    await setStatus('promobot/approval', 'success');
    await setStatus('promobot/gates', 'pending');
    expect(await gitea.merge(REPO, pr.index, 'alice')).toBe(405);
    const refused = await fetch(`${gitea.url}/api/v1/repos/${REPO}/pulls/${pr.index}/merge`, {
      method: 'POST',
      headers: { authorization: `token ${tokens.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ do: 'merge' }),
    });
    expect(refused.status).toBe(405);
    expect(((await refused.json()) as { message: string }).message).toBe(
      'not allowed to merge [reason: Not all required status checks successful]',
    );
    await setStatus('promobot/gates', 'success');
    expect(await gitea.merge(REPO, pr.index, 'alice')).toBe(200);
  });

  it('widens the push allow-list to the policy pushers and drops people the policy does not name', async () => {
    const withAlice = policy(', protection: { pushers: [alice] }');
    const outcomes = await syncProtection({ config: config(), policies: [withAlice] });
    expect(outcomes).toMatchObject([{ action: 'updated', differences: ['the push allow-list lacks alice'] }]);
    await pushToMain('alice', 'alice.txt');
    await expect(pushToMain('bob', 'bob.txt')).rejects.toThrow(
      /Not allowed to push to protected branch main/,
    );
    const back = await syncProtection({ config: config(), policies: [policy()], checkOnly: true });
    expect(back).toMatchObject([
      { action: 'differs', differences: ['the push allow-list also names alice'] },
    ]);
  });

  it('keeps the rule of a branch whose policy says manage: false', async () => {
    const outcomes = await syncProtection({
      config: config(),
      policies: [policy(', protection: { manage: false }')],
    });
    expect(outcomes).toEqual([]);
  });

  it('fails with the fix when the token is not a repo admin', async () => {
    const outcomes = await syncProtection({
      config: loadConfig({ GITEA_URL: gitea.url, GITEA_TOKEN: tokens.bob! }),
      policies: [policy()],
    });
    expect(outcomes).toMatchObject([
      { action: 'failed', fix: expect.stringContaining('repo admin of bootcamp/notes-deploy') },
    ]);
  });

  it('refuses force pushes to the deploy branch; doctor reports a rule that allows them, and setup turns them off', async () => {
    const contexts = ['promobot/approval', 'promobot/gates', 'promobot/promotion'];
    await expect(forcePushToMain('promobot', 'rewrite.txt')).rejects.toThrow(
      /Gitea: Not allowed to force-push to protected branch main[\s\S]*pre-receive hook declined/,
    );
    // A rule changed by hand to let everyone who may push also force-push: the double lets it through then.
    gitea.protectBranch(REPO, 'main', { statusChecks: contexts, pushers: ['promobot'], forcePush: true });
    const access = HOSTS.gitea.deployRepos.connect(config())!;
    expect(await checkBranchProtection(access.protection, 'gitea', [policy()], REPO, 'main')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('force pushes are allowed'),
    });
    await forcePushToMain('promobot', 'rewrite.txt');
    expect(git(deploy.bare, 'show', 'main:rewrite.txt')).toBe('promobot');
    const outcomes = await syncProtection({ config: config(), policies: [policy()] });
    expect(outcomes).toMatchObject([{ action: 'updated', differences: ['force pushes are allowed'] }]);
    expect(gitea.protections(REPO)).toMatchObject([{ rule_name: 'main', enable_force_push: false }]);
    await expect(forcePushToMain('promobot', 'again.txt')).rejects.toThrow(
      /Not allowed to force-push to protected branch main/,
    );
  });

  it('respects a glob rule covering the deploy branch: keeps it when it asks all of it, reports a conflict otherwise, never adds a second rule', async () => {
    const contexts = ['promobot/approval', 'promobot/gates', 'promobot/promotion'];
    gitea.protectBranch(REPO, 'main', undefined);
    gitea.protectBranch(REPO, 'ma*', { statusChecks: ['ci'] });
    const conflict = await syncProtection({ config: config(), policies: [policy()] });
    expect(conflict).toMatchObject([
      {
        action: 'failed',
        message: expect.stringContaining('the glob rule ma* covers main'),
        fix: expect.stringContaining('change the rule ma* by hand'),
      },
    ]);
    expect(gitea.protections(REPO).map((r) => r.rule_name)).toEqual(['ma*']);
    const access = HOSTS.gitea.deployRepos.connect(config())!;
    expect(await checkBranchProtection(access.protection, 'gitea', [policy()], REPO, 'main')).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('change the rule ma* by hand'),
    });
    // Made as promobot wants it, the glob rule is kept as it is, and Gitea applies it to main.
    gitea.protectBranch(REPO, 'ma*', { statusChecks: contexts, pushers: ['promobot'] });
    expect((await syncProtection({ config: config(), policies: [policy()] })).map((o) => o.action)).toEqual([
      'unchanged',
    ]);
    expect(gitea.protections(REPO).map((r) => r.rule_name)).toEqual(['ma*']);
    await expect(pushToMain('alice', 'glob.txt')).rejects.toThrow(
      /Gitea: Not allowed to push to protected branch main/,
    );
    gitea.protectBranch(REPO, 'ma*', undefined);
  });
});
