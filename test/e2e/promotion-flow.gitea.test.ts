import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandlerRegistry } from '../../src/queue/index.js';
import {
  createPromotionRuntime,
  parsePromotionMeta,
  type PromotionRuntime,
} from '../../src/promotion/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';

/** The captured Harbor push with a real tag, stamped with its own push time as each real push is. */
function harborPush(tag: string, occurAt: number): string {
  return JSON.stringify({ ...(JSON.parse(harborPushWithTags(tag)) as object), occur_at: occurAt });
}
import { startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const FIRST = '1111111bbbbbbb';
const SECOND = '2222222ccccccc';

const manifest = (env: string, tag: string) =>
  `# alpine in ${env}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: alpine\nspec:\n  template:\n    spec:\n      containers:\n        - name: alpine\n          image: ${IMAGE}:${tag}\n`;

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO}, branch: main }
  apps:
    - name: alpine
      image: ${IMAGE}
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 1 }
`;

async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('promotion flow against the Gitea double', () => {
  let redis: RedisServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let app: TestApp;
  let runtime: PromotionRuntime | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    deploy = createTempRepo({
      'alpine/dev/deployment.yaml': manifest('dev', OLD),
      'alpine/staging/deployment.yaml': manifest('staging', OLD),
      'alpine/prod/deployment.yaml': manifest('prod', OLD),
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-e2e-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), POLICY);

    gitea = await startGiteaDouble();
    const bot = gitea.addUser('promobot');
    gitea.addUser('alice');
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin', alice: 'write' },
    });

    // The handlers exist once the runtime does, and the runtime needs the app's configuration: delegate.
    const handlers: HandlerRegistry = {
      ImagePushed: (event, context) => runtime!.handlers.ImagePushed!(event, context),
      PullRequestChanged: (event, context) => runtime!.handlers.PullRequestChanged!(event, context),
      PushReceived: (event, context) => runtime!.handlers.PushReceived!(event, context),
    };
    app = await startApp({
      redisUrl: redis.url,
      handlers,
      config: {
        logLevel: 'info',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        gitea: { url: gitea.url, token: bot.token },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
      },
    });
    // Wired as `promobot webhooks sync` would: a repo hook, active, with the shared secret.
    const hook = await fetch(`${gitea.url}/api/v1/repos/${REPO}/hooks`, {
      method: 'POST',
      headers: { authorization: `token ${bot.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'gitea',
        active: true,
        events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
        config: { url: `${app.baseUrl}/webhooks/gitea`, content_type: 'json', secret: TEST_SECRETS.gitea },
      }),
    });
    expect(hook.status).toBe(201);
    runtime = await createPromotionRuntime({
      config: app.config,
      logger: app.logger,
      gitBaseEnv: { PATH: process.env.PATH ?? '', HOME: home },
    });
    await runtime.start();
  }, 120_000);

  afterAll(async () => {
    if (process.env.PROMOBOT_E2E_LOG) writeFileSync(process.env.PROMOBOT_E2E_LOG, app?.logText() ?? '');
    await app?.close();
    await runtime?.close();
    await gitea?.close();
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const openProd = () =>
    gitea.pulls(REPO).filter((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');

  it('lands a Harbor push in dev, auto-merges staging, and leaves prod waiting; a newer push updates prod in place', async () => {
    const push = await fetch(`${app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPush(FIRST, 1_800_000_000),
    });
    expect(push.status).toBe(202);

    // dev: a commit by the bot with the evidence trailers.
    await eventually('the dev commit', () => (deploy.log('%s')[0]?.includes('dev') ? true : undefined));
    // staging: a PR opened and merged by the bot; prod: a PR opened and waiting.
    const [prod] = await eventually('the prod PR', () => (openProd().length === 1 ? openProd() : undefined));
    const staging = gitea.pulls(REPO).filter((p) => p.head === 'promobot/staging/alpine');
    expect(staging).toHaveLength(1);
    expect(staging[0]).toMatchObject({ merged: true });
    expect(parsePromotionMeta(prod!.body)).toMatchObject({
      app: 'alpine',
      env: 'prod',
      from: 'staging',
      tag: FIRST,
      previousTag: OLD,
    });
    expect(prod!.title).toBe('promote alpine to prod: 0000000 → 1111111');
    deploy.pull();
    expect(git(deploy.work, 'show', 'HEAD:alpine/staging/deployment.yaml')).toContain(`${IMAGE}:${FIRST}`);
    expect(git(deploy.work, 'show', 'HEAD:alpine/prod/deployment.yaml')).toContain(`${IMAGE}:${OLD}`);
    const prodNumber = prod!.index;

    // A second build half-way: dev and staging move again, and the same prod PR carries the newer tag.
    const second = await fetch(`${app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPush(SECOND, 1_800_000_060),
    });
    expect(second.status).toBe(202);
    const updated = await eventually('the prod PR to carry the second tag', () => {
      const open = openProd();
      return open.length === 1 && parsePromotionMeta(open[0]!.body)?.tag === SECOND ? open[0] : undefined;
    });
    expect(updated.index).toBe(prodNumber);
    expect(gitea.pulls(REPO).filter((p) => p.head === 'promobot/prod/alpine')).toHaveLength(1);
    expect(gitea.pulls(REPO).filter((p) => p.head === 'promobot/staging/alpine' && p.merged)).toHaveLength(2);
    // The status is set right after the PR is refreshed.
    await eventually('the promotion status on the new head', () =>
      gitea
        .statuses(REPO, updated.headSha)
        .some((s) => s.context === 'promobot/promotion' && s.state === 'success')
        ? true
        : undefined,
    );

    // The prod branch holds exactly one changed value against main.
    await git(deploy.work, 'fetch', '--quiet', 'origin');
    const diff = git(deploy.work, 'diff', 'origin/main...origin/promobot/prod/alpine', '--unified=0');
    expect(diff.split('\n').filter((l) => /^[-+] /.test(l))).toEqual([
      `-          image: ${IMAGE}:${OLD}`,
      `+          image: ${IMAGE}:${SECOND}`,
    ]);

    await gitea.flush();
    expect(gitea.violations).toEqual([]);
    expect(gitea.answerProblems).toEqual([]);
  }, 120_000);
});
