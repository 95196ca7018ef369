import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import { startGitHubDouble, type GitHubApp, type GitHubDouble } from '../doubles/github/index.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { TEST_SECRETS } from '../support/app.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startPromobot, type PromobotUnderTest } from './harness.js';

/**
 * promobot as a GitHub App, through the running service: it makes installation tokens from the App's key, acts as
 * `promobot[bot]`, and when GitHub lets its token lapse mid-flow (`expireInstallationTokens`, as an hour passing
 * would), both its API calls and its git pushes carry on with a new one.
 */

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const FIRST = '1111111bbbbbbb';
const SECOND = '2222222ccccccc';

const manifest = (tag: string) => `containers:\n  - name: alpine\n    image: ${IMAGE}:${tag}\n`;

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: github, repo: ${REPO}, branch: main }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 1, approvers: [team:bootcamp/sre] }
`;

/** Every file under a folder, as one string, to search for a leaked secret. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path, 'latin1'))
    .join('\n');
}

describe('promobot as a GitHub App', () => {
  let redis: RedisServer;
  let deploy: TempRepo;
  let home: string;
  let double: GitHubDouble;
  let app: GitHubApp;
  let promobot: PromobotUnderTest | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    deploy = createTempRepo({
      'alpine/dev/app.yaml': manifest(OLD),
      'alpine/staging/app.yaml': manifest(OLD),
      'alpine/prod/app.yaml': manifest(OLD),
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-ghapp-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), POLICY);
    double = await startGitHubDouble();
    const owner = double.addUser('owner');
    double.addUser('carol');
    await double.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { owner: 'admin', carol: 'write' },
    });
    // A secret team: the App sees it through its organization Members: read permission.
    double.addTeam('bootcamp', 'sre', ['carol'], [], { privacy: 'secret' });
    // The permissions README's "GitHub App" paragraph lists (the same as for a fine-grained token).
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
    promobot = await startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'info',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        github: {
          apiUrl: double.url,
          app: {
            appId: String(app.id),
            installationId: app.installations.bootcamp ?? 0,
            privateKey: app.privateKey,
          },
        },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
      },
    });
    // The repo hook, made by the repository's admin (`promobot webhooks sync` with an admin's token).
    const hook = await fetch(`${double.url}/repos/${REPO}/hooks`, {
      method: 'POST',
      headers: { authorization: `token ${owner.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'web',
        active: true,
        events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
        config: {
          url: `${promobot.app.baseUrl}/webhooks/github`,
          content_type: 'json',
          secret: TEST_SECRETS.github,
        },
      }),
    });
    expect(hook.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    if (process.env.PROMOBOT_E2E_LOG)
      writeFileSync(process.env.PROMOBOT_E2E_LOG, promobot?.app.logText() ?? '');
    await promobot?.close();
    await double?.close();
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const openProd = () =>
    double.pulls(REPO).filter((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');
  const tokensMade = () =>
    double.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/access_tokens') && r.status === 201,
    ).length;
  const refused = () =>
    double.requests.filter((r) => r.status === 401 && r.path.startsWith('/repos/')).length;
  /** Until promobot has made no API call for a second: what was in flight is done, so git goes first next. */
  const apiQuiet = () =>
    eventually('promobot to finish what is in flight', async () => {
      const before = double.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return double.requests.length === before ? true : undefined;
    });
  const harbor = (tag: string, occurAt: number) =>
    fetch(`${promobot!.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: JSON.stringify({ ...(JSON.parse(harborPushWithTags(tag)) as object), occur_at: occurAt }),
    });

  it('promotes as promobot[bot], renews its lapsed token for git and the API, and merges on an approval', async () => {
    expect((await harbor(FIRST, 1_800_000_000)).status).toBe(202);
    const first = await eventually('the prod PR', () => openProd()[0]);
    expect(first.author.login).toBe('promobot[bot]');
    expect(parsePromotionMeta(first.body)).toMatchObject({ env: 'prod', tag: FIRST });
    expect(double.pulls(REPO).find((p) => p.head === 'promobot/staging/alpine')).toMatchObject({
      merged: true,
      mergedBy: { login: 'promobot[bot]' },
    });
    const madeBefore = tokensMade();
    expect(madeBefore).toBeGreaterThanOrEqual(1);

    // An hour passes for GitHub: every token promobot holds is refused, while promobot thinks it has time left.
    await apiQuiet();
    double.expireInstallationTokens();
    expect((await harbor(SECOND, 1_800_000_060)).status).toBe(202);
    // The dev commit is git's first use of the lapsed token: refused, renewed, pushed.
    await eventually('the second dev commit', () =>
      deploy.log('%s').find((line) => line.includes(`dev 1111111 → 2222222`)),
    );
    const updated = await eventually('the prod PR to carry the second tag', () => {
      const [open] = openProd();
      return open && parsePromotionMeta(open.body)?.tag === SECOND ? open : undefined;
    });
    expect(updated.number).toBe(first.number);
    expect(tokensMade()).toBeGreaterThan(madeBefore);
    const lines = promobot!.app.logLines();
    expect(lines.some((l) => l.msg === 'git credentials refused; trying once with a new token')).toBe(true);

    // Lapsed again just before a person's command: the API look-ups and the merge go through with a new token.
    double.expireInstallationTokens();
    const refusedBefore = refused();
    await double.comment(REPO, updated.number, 'carol', '/approve');
    const merged = await eventually('the prod PR to be merged', () =>
      double.pulls(REPO).find((p) => p.number === updated.number && p.merged),
    );
    expect(merged.mergedBy?.login).toBe('promobot[bot]');
    expect(refused()).toBeGreaterThan(refusedBefore);
    git(deploy.work, 'fetch', '--quiet', 'origin');
    expect(git(deploy.work, 'show', 'origin/main:alpine/prod/app.yaml')).toContain(`${IMAGE}:${SECOND}`);

    // No job failed, and no token or key was written to disk or to the log.
    const failed = promobot!.app
      .logLines()
      .filter((l) => l.msg === 'job failed permanently' || l.msg === 'job failed after its last attempt');
    expect(failed).toEqual([]);
    const everything = `${promobot!.app.logText()}\n${allText(join(home, 'data'))}`;
    expect(everything).not.toMatch(/ghs_[0-9a-f]{8}/);
    expect(everything).not.toContain('PRIVATE KEY');
    await double.flush();
    expect(double.violations).toEqual([]);
    expect(double.answerProblems).toEqual([]);
  }, 120_000);
});
