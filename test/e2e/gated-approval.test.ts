import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATES_COMMENT_MARKER } from '../../src/gates/index.js';
import { createLogger } from '../../src/logger/index.js';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import { createScmHost, repoRef, type ScmHost } from '../../src/scm/index.js';
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

// prod is gated on the candidate's TTFT p95 and error rate where it already runs (staging, namespace chat-staging,
// healthy in the generated history), and needs the approval of alice or bob.
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
      approvals: { required: 1, approvers: [alice, bob] }
      gates: [ttft-p95, error-rate]
      gating: { interval: 300ms, passes: 2, failureLimit: 1, maxInconclusive: 1m }
`;

describe('a gated prod promotion, approved in a comment', () => {
  let redis: RedisServer;
  let prometheus: PrometheusServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;
  let host: ScmHost;

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
    home = mkdtempSync(join(tmpdir(), 'promobot-gated-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), POLICY);
    gitea = await startGiteaDouble();
    const bot = gitea.addUser('promobot');
    gitea.addUser('alice');
    gitea.addUser('mallory');
    gitea.addUser('bob');
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin', alice: 'write', bob: 'write', mallory: 'write' },
    });
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
    host = createScmHost('gitea', {
      baseUrl: gitea.url,
      token: bot.token,
      logger: createLogger({ level: 'silent' }),
    });
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

  it('shows the gates on the PR, refuses self-approval, waits for an approver, then merges naming them', async () => {
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);
    const prod = await eventually('the prod PR', () =>
      gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine'),
    );
    expect(parsePromotionMeta(prod.body)).toMatchObject({ env: 'prod', tag: TAG });

    // The gates: pending first, then success after two passing rounds, with one evidence comment.
    const contexts = async () =>
      (await host.listCommitStatuses(repoRef(REPO), prod.headSha)).filter(
        (s) => s.context === 'promobot/gates',
      );
    await eventually('the gates to pass', async () =>
      (await contexts()).some((s) => s.state === 'success') ? true : undefined,
    );
    const comments = await host.listComments(repoRef(REPO), prod.index);
    const evidence = comments.filter((c) => c.body.includes(GATES_COMMENT_MARKER));
    expect(evidence).toHaveLength(1);
    expect(evidence[0]!.body).toMatch(/ttft-p95/);
    expect(evidence[0]!.body).toMatch(/llama-3-8b/);

    // Green gates alone do not merge: prod needs an approver.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(gitea.pull(REPO, prod.index)).toMatchObject({ state: 'open', merged: false });

    // mallory may write but is not an approver: refused, no effect.
    await gitea.comment(REPO, prod.index, 'mallory', '/approve');
    await eventually('the refusal', async () =>
      (await host.listComments(repoRef(REPO), prod.index)).some(
        (c) => c.body.includes('mallory') && /not/.test(c.body),
      )
        ? true
        : undefined,
    );
    expect(gitea.pull(REPO, prod.index)).toMatchObject({ merged: false });

    // alice asks for the promotion herself, so she may not approve it (approvals.allowAuthor is false).
    await gitea.comment(REPO, prod.index, 'alice', '/promote prod');
    await eventually('the status comment to name its requester', () =>
      gitea
        .comments(REPO, prod.index)
        .some((c) => c.author.login === 'promobot' && c.body.includes('**Requested by**: @alice'))
        ? true
        : undefined,
    );
    await gitea.comment(REPO, prod.index, 'alice', '/approve');
    await eventually('the self-approval refusal', async () =>
      (await host.listComments(repoRef(REPO), prod.index)).some((c) =>
        c.body.includes('@alice asked for this promotion and cannot approve it'),
      )
        ? true
        : undefined,
    );
    expect(gitea.pull(REPO, prod.index)).toMatchObject({ merged: false });

    await gitea.comment(REPO, prod.index, 'bob', 'Numbers look fine.\n\n/approve');
    const merged = await eventually('the prod merge', () =>
      gitea.pull(REPO, prod.index)?.merged ? gitea.pull(REPO, prod.index) : undefined,
    );
    const message = git(deploy.bare, 'log', '-1', '--format=%B', merged!.mergeCommitSha!);
    expect(message).toContain('Promobot-Approved-By: bob');
    expect(message).not.toContain('Promobot-Approved-By: alice');
    deploy.pull();
    expect(git(deploy.work, 'show', 'HEAD:alpine/prod/app.yaml')).toContain(`${IMAGE}:${TAG}`);

    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 120_000);
});
