import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { loadPolicies } from '../../src/policy/index.js';
import { syncProtection } from '../../src/setup/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { TEST_SECRETS } from '../support/app.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startPromobot, type PromobotUnderTest } from './harness.js';

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const TAG = '5555555fffffff';

const manifest = (tag: string) => `containers:\n  - name: alpine\n    image: ${IMAGE}:${tag}\n`;

// prod's gates need two passing rounds an hour apart: they stay pending for the whole test.
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
      approvals: { required: 1, approvers: [bob] }
      gates: [ttft-p95, error-rate]
      gating: { interval: 1h, passes: 2, failureLimit: 1, maxInconclusive: 2h }
`;

describe('a protected deploy branch on Gitea (promobot setup)', () => {
  let redis: RedisServer;
  let prometheus: PrometheusServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;

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
    home = mkdtempSync(join(tmpdir(), 'promobot-protection-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), POLICY);
    gitea = await startGiteaDouble();
    const bot = gitea.addUser('promobot');
    gitea.addUser('alice');
    gitea.addUser('bob');
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin', alice: 'write', bob: 'write' },
    });
    // `promobot setup`'s protection step, with the policies and token promobot runs with.
    const { policies } = await loadPolicies(join(home, 'policies'));
    const outcomes = await syncProtection({
      config: loadConfig({ GITEA_URL: gitea.url, GITEA_TOKEN: bot.token }),
      policies,
    });
    expect(outcomes.map((o) => o.action)).toEqual(['created']);
    promobot = await startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'info',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        gitea: { url: gitea.url, token: bot.token },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
        prometheus: { url: prometheus.url, timeoutMs: 5_000 },
      },
    });
    const hook = await fetch(`${gitea.url}/api/v1/repos/${REPO}/hooks`, {
      method: 'POST',
      headers: { authorization: `token ${bot.token}`, 'content-type': 'application/json' },
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

  it("lands promobot's entry commit and staging merge, and the host refuses a person's merge of the gated prod PR", async () => {
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);

    // The entry commit is a push straight to the protected branch: promobot is in its push allow-list.
    await eventually('the dev commit', () => {
      deploy.pull();
      return git(deploy.work, 'show', 'HEAD:alpine/dev/app.yaml').includes(TAG) ? true : undefined;
    });
    // staging has no gates: its PR carries promobot/gates "no gates" and merges under the protection.
    const staging = await eventually('the staging merge', () =>
      gitea.pulls(REPO).find((p) => p.head === 'promobot/staging/alpine' && p.merged),
    );
    expect(gitea.statuses(REPO, staging.headSha).map((s) => `${s.context} ${s.state}`)).toContain(
      'promobot/gates success',
    );

    const prod = await eventually('the prod PR with its gates pending', () => {
      const pr = gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');
      if (!pr) return undefined;
      const states = gitea.statuses(REPO, pr.headSha).map((s) => `${s.context} ${s.state}`);
      return states.includes('promobot/gates pending') && states.includes('promobot/approval pending')
        ? pr
        : undefined;
    });
    // alice may write, and the UI would offer her the merge button: the host refuses it.
    expect(await gitea.merge(REPO, prod.index, 'alice')).toBe(405);
    expect(gitea.pull(REPO, prod.index)).toMatchObject({ state: 'open', merged: false });
    deploy.pull();
    expect(git(deploy.work, 'show', 'HEAD:alpine/prod/app.yaml')).toContain(`${IMAGE}:${OLD}`);

    await gitea.flush();
    expect(gitea.violations).toEqual([]);
    expect(gitea.answerProblems).toEqual([]);
  }, 120_000);
});
