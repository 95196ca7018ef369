import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromotionMeta, renderPromotionMeta } from '../../src/promotion/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { TEST_SECRETS } from '../support/app.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startPromobot, type PromobotUnderTest } from './harness.js';

/**
 * Issue #13, case 5, through the running service on the strict Gitea double with a real Prometheus: a writer pushes
 * a promobot rollback branch of their own and opens a PR from it with a copied metadata block. promobot runs no
 * gates there, sets no status on that person's commit and says nothing on the PR.
 */

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const TAG = '5555555fffffff';

const manifest = (tag: string) => `containers:\n  - name: alpine\n    image: ${IMAGE}:${tag}\n`;

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit, namespace: chat-dev }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true, namespace: chat-staging }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      namespace: chat-prod
      approvals: { required: 1, approvers: [release-lead] }
      gates: [ttft-p95, error-rate]
      gating: { interval: 300ms, passes: 2, failureLimit: 1, maxInconclusive: 1m }
      rollback: { skipGates: false, autoMerge: true }
`;

describe('a PR on a promobot branch that promobot did not open', () => {
  let redis: RedisServer;
  let prometheus: PrometheusServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    [redis, prometheus] = await Promise.all([
      startRedis(),
      startPrometheus({
        families: chatFamilies(
          SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
        ),
      }),
    ]);
    deploy = createTempRepo({
      'alpine/dev/app.yaml': manifest(OLD),
      'alpine/staging/app.yaml': manifest(OLD),
      'alpine/prod/app.yaml': manifest(OLD),
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-foreign-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), POLICY);
    gitea = await startGiteaDouble();
    for (const login of ['promobot', 'release-lead', 'dev-author'])
      tokens[login] = gitea.addUser(login).token;
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin', 'release-lead': 'write', 'dev-author': 'write' },
    });
    promobot = await startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'info',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        gitea: { url: gitea.url, token: tokens.promobot ?? '' },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
        prometheus: { url: prometheus.url, timeoutMs: 5_000 },
      },
    });
    const hook = await fetch(`${gitea.url}/api/v1/repos/${REPO}/hooks`, {
      method: 'POST',
      headers: { authorization: `token ${tokens.promobot ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'gitea',
        active: true,
        events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
        config: {
          url: `${promobot.app.baseUrl}/webhooks/gitea`,
          content_type: 'json',
          secret: TEST_SECRETS.gitea,
        },
      }),
    });
    expect(hook.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    if (process.env.PROMOBOT_E2E_LOG)
      writeFileSync(process.env.PROMOBOT_E2E_LOG, promobot?.app.logText() ?? '');
    await promobot?.close();
    await gitea?.close();
    await prometheus?.close();
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('runs no gates, sets no status and says nothing there', async () => {
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);
    const prod = await eventually('the prod PR', () =>
      gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine'),
    );
    const meta = parsePromotionMeta(prod.body);
    if (!meta) throw new Error('the prod PR has no metadata');

    // dev-author's own "rollback": any change they like, on the bot's rollback branch, with a copied block.
    const branch = 'promobot/rollback/prod/alpine';
    git(deploy.work, 'checkout', '--quiet', '-B', branch, 'main');
    writeFileSync(join(deploy.work, 'alpine/prod/app.yaml'), manifest('evil0000000000'));
    git(deploy.work, 'commit', '--quiet', '-am', 'rollback(alpine): prod');
    git(deploy.work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
    const head = git(deploy.work, 'rev-parse', 'HEAD');
    git(deploy.work, 'checkout', '--quiet', 'main');
    await gitea.syncRefs();
    const opened = await fetch(`${gitea.url}/api/v1/repos/${REPO}/pulls`, {
      method: 'POST',
      headers: { authorization: `token ${tokens['dev-author'] ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        head: branch,
        base: 'main',
        title: 'rollback alpine in prod',
        body: `Rollback.\n\n${renderPromotionMeta({ ...meta, kind: 'rollback', tag: OLD, previousTag: TAG })}`,
      }),
    });
    expect(opened.status).toBe(201);
    const { number } = (await opened.json()) as { number: number };

    // Until promobot has looked at that PR: it either says it leaves it alone, or acts on it.
    await eventually('promobot to look at the foreign PR', () =>
      promobot.app
        .logLines()
        .some(
          (l) => l.msg === 'PR on a promobot branch not opened by promobot; left alone' && l.pr === number,
        ) || gitea.statuses(REPO, head).length > 0
        ? true
        : undefined,
    );
    await gitea.flush();
    expect(gitea.statuses(REPO, head).map((s) => s.context)).toEqual([]);
    expect(gitea.comments(REPO, number).filter((c) => c.author.login === 'promobot')).toEqual([]);
    expect(gitea.pull(REPO, number)).toMatchObject({ state: 'open', merged: false });
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 120_000);
});
