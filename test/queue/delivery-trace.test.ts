import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { eventually, startPromobot, type PromobotUnderTest } from '../e2e/harness.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * A push is followed in the logs by its delivery id: from the webhook answer, through the event job and the commit
 * it lands in dev, to the reconcile job that opens the staging PR (issue 14). The reconcile job is a second job on
 * a second queue; before, its lines named its own job id as the delivery.
 */

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const TAG = '1111111bbbbbbb';

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev }
`;

const manifest = (tag: string) => `containers:\n  - name: alpine\n    image: ${IMAGE}:${tag}\n`;

type Line = Record<string, unknown>;

describe('the delivery id of a Harbor push', () => {
  let redis: RedisServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;

  beforeAll(async () => {
    redis = await startRedis();
    deploy = createTempRepo({
      'alpine/dev/app.yaml': manifest(OLD),
      'alpine/staging/app.yaml': manifest(OLD),
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-trace-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), POLICY);
    gitea = await startGiteaDouble();
    const bot = gitea.addUser('promobot');
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin' },
    });
    promobot = await startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'debug',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        gitea: { url: gitea.url, token: bot.token },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await promobot?.close();
    await gitea?.close();
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('is on every line from the webhook answer to the commit and to the PR it opens', async () => {
    const lines = () => promobot.app.logLines();
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);
    const opened = await eventually('the staging PR to open', () =>
      lines().find((l) => l.msg === 'promotion PR opened' && l.tag === TAG),
    );
    expect(git(deploy.bare, 'show', 'main:alpine/dev/app.yaml')).toContain(TAG);
    expect(gitea.pulls(REPO).map((p) => p.title)).toHaveLength(1);

    const answer = lines().find(
      (l) => l.msg === 'webhook delivery answered' && l.outcome !== 'duplicate',
    ) as Line;
    const deliveryId = answer.deliveryId;
    const [jobId] = answer.jobIds as string[];
    expect(typeof deliveryId).toBe('string');
    expect(jobId).toMatch(/^image-/);

    // The landmarks of the path, each with the push's delivery id and the event job's id as the correlation id.
    const landmark = (msg: string) => lines().find((l) => l.msg === msg && l.correlationId === jobId);
    await eventually('the reconcile that opened the PR to finish', () => landmark('app reconciled'));
    for (const msg of [
      'deploy repo change pushed',
      'entry environments updated',
      'job completed',
      'app reconciled',
    ])
      expect(landmark(msg), msg).toMatchObject({ deliveryId, correlationId: jobId });
    expect(opened).toMatchObject({ deliveryId, correlationId: jobId });
    // The PR was opened by a reconcile job, not by the event job: the id crossed a queue.
    expect(opened.jobId).not.toBe(jobId);
    expect(String(opened.jobId)).toMatch(/^reconcile-alpine-alpine-/);

    // Every line written from the answer to the PR opening by a job is one of this push's, or of the startup
    // reconcile (which no delivery caused: its own job id is both of its ids).
    const all = lines();
    const from = all.findIndex((l) => l.msg === 'webhook delivery answered' && l.deliveryId === deliveryId);
    const to = all.findIndex((l) => l.msg === 'promotion PR opened' && l.tag === TAG);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    const window = all
      .slice(from, to + 1)
      .filter((l) => l.jobId !== undefined || l.correlationId !== undefined);
    expect(window.length).toBeGreaterThan(4);
    for (const line of window) {
      if (line.correlationId === jobId) expect(line.deliveryId, String(line.msg)).toBe(deliveryId);
      else expect(line.deliveryId, String(line.msg)).toBe(line.correlationId);
      expect(line.deliveryId, String(line.msg)).toBeDefined();
    }
  }, 120_000);
});
