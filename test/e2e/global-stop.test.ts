import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEPLOY_REPO,
  IMAGE,
  eventually,
  manifest,
  OLD_TAG,
  startGiteaWorld,
  startPromobot,
  type GiteaWorld,
  type PromobotUnderTest,
} from './harness.js';

const TAG = '6666666aaaaaaa';

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${DEPLOY_REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: dev
      approvals: { required: 1, approvers: [bob] }
  notify:
    - name: ops
      kind: webhook
      url: { env: PROMOBOT_TEST_STOP_NOTIFY_URL }
      secret: { env: PROMOBOT_TEST_STOP_NOTIFY_SECRET }
      events: [command-refused]
`;

/**
 * The global stop through the running service on the strict Gitea double with a real Redis: `/hold env=prod` on an
 * issue keeps an approved, green prod PR from merging and the PR says why; the stop survives a Redis FLUSHALL and a
 * restart (rebuilt from the issue's comments on the host); `/unhold env=prod` lets it merge by itself. A reader's
 * `/hold all` is refused with a reply and a command-refused notification.
 */
describe('a global stop on a deploy-repo issue', () => {
  let world: GiteaWorld;
  let promobot: PromobotUnderTest;
  const got: { kind: string; app: string; env: string; pr?: number; summary: string }[] = [];
  let closeReceiver: () => Promise<void>;

  beforeAll(async () => {
    const receiver = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push(JSON.parse(Buffer.concat(chunks).toString()) as (typeof got)[number]);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    closeReceiver = () => new Promise<void>((r) => receiver.close(() => r()));
    process.env.PROMOBOT_TEST_STOP_NOTIFY_SECRET = 'stop-sink-secret';
    process.env.PROMOBOT_TEST_STOP_NOTIFY_URL = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}/`;
    world = await startGiteaWorld({
      name: 'global-stop',
      policy: POLICY,
      files: { 'alpine/dev/app.yaml': manifest(OLD_TAG), 'alpine/prod/app.yaml': manifest(OLD_TAG) },
      access: { alice: 'write', bob: 'write', mallory: 'read' },
    });
    promobot = world.promobot!;
  }, 120_000);

  afterAll(async () => {
    // The world closes the promobot it started; a restarted one is closed here.
    if (promobot !== world?.promobot) await promobot?.close();
    await world?.close();
    await closeReceiver?.();
    delete process.env.PROMOBOT_TEST_STOP_NOTIFY_URL;
    delete process.env.PROMOBOT_TEST_STOP_NOTIFY_SECRET;
  });

  const replyTo = (issue: number, commentId: number) =>
    world.said(issue, `<!-- promobot:reply-to ${String(commentId)} -->`);

  it('holds the approved prod PR across a Redis loss and a restart, and /unhold merges it', async () => {
    const { gitea } = world;
    const issue = await gitea.openIssue(DEPLOY_REPO, { author: 'alice', title: 'payments schema migration' });
    const hold = await gitea.comment(DEPLOY_REPO, issue.index, 'alice', '/hold env=prod schema migration');
    expect((await replyTo(issue.index, hold.id)).body).toContain(
      '@alice\n- ✅ `/hold env=prod schema migration`: every promotion of env=prod is held (prepared and gated, never merged) until a writer comments `/unhold env=prod` on an issue',
    );

    // Someone who may only read is refused, with a reply.
    const refused = await gitea.comment(DEPLOY_REPO, issue.index, 'mallory', '/hold all');
    expect((await replyTo(issue.index, refused.id)).body).toContain(
      '@mallory\n- ❌ `/hold all`: @mallory has read permission on bootcamp/notes-deploy; /hold all needs write permission',
    );
    const notified = await eventually('the command-refused notification', () =>
      got.find((g) => g.kind === 'command-refused'),
    );
    expect(notified).toMatchObject({ app: 'all', env: 'all', pr: issue.index });
    expect(notified.summary).toBe(
      `/hold all by @mallory on issue #${String(issue.index)}: @mallory has read permission on bootcamp/notes-deploy; /hold all needs write permission`,
    );

    await world.push(promobot.app.baseUrl, TAG, 1_790_000_000);
    const pr = await world.openPull('promobot/prod/alpine', TAG);
    await gitea.comment(DEPLOY_REPO, pr.index, 'bob', '/approve');
    const held = `held by @alice on issue #${String(issue.index)}: schema migration`;
    await eventually('the PR saying it is held', () =>
      world.statusComment(pr.index)?.body.includes('1 of 1') &&
      world.statusComment(pr.index)?.body.includes(held)
        ? true
        : undefined,
    );
    const approval = () =>
      gitea
        .statuses(DEPLOY_REPO, pr.headSha)
        .filter((s) => s.context === 'promobot/approval')
        .at(-1);
    // The status comment is written before the status: wait for both.
    await eventually('promobot/approval saying it is held', () =>
      approval()?.description === `${held}; 1 of 1 approval` ? true : undefined,
    );
    expect(approval()?.state).toBe('pending');
    expect(gitea.pull(DEPLOY_REPO, pr.index)).toMatchObject({ state: 'open', merged: false });

    // Redis loses everything and promobot restarts: the stop is rebuilt from the issue's comments on the host.
    await world.idle(promobot.app.config.queuePrefix);
    await promobot.close();
    const client = new Redis(world.redis.url);
    await client.flushall();
    client.disconnect();
    const hook = gitea.hooks(DEPLOY_REPO)[0]!;
    expect(await world.api('promobot', 'DELETE', `/repos/${DEPLOY_REPO}/hooks/${String(hook.id)}`)).toBe(204);
    promobot = await startPromobot({
      redisUrl: world.redis.url,
      home: world.home,
      config: {
        logLevel: 'info',
        policiesDir: join(world.home, 'policies'),
        dataDir: join(world.home, 'data'),
        gitea: { url: gitea.url, token: world.tokens.promobot ?? '' },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
      },
    });
    await world.hookTo(promobot.app.baseUrl);
    const asked = await gitea.comment(DEPLOY_REPO, pr.index, 'bob', '/status');
    expect((await world.said(pr.index, `<!-- promobot:reply-to ${String(asked.id)} -->`)).body).toContain(
      held,
    );
    await world.idle(promobot.app.config.queuePrefix);
    expect(gitea.pull(DEPLOY_REPO, pr.index)).toMatchObject({ state: 'open', merged: false });

    // Lifted: the PR merges by itself, within seconds.
    const lifted = await gitea.comment(DEPLOY_REPO, issue.index, 'alice', '/unhold env=prod');
    const liftedAt = Date.now();
    expect((await replyTo(issue.index, lifted.id)).body).toContain(
      '- ✅ `/unhold env=prod`: the stop of env=prod is lifted; held promotions merge by themselves if approved and green',
    );
    await world.merged(pr.index);
    expect(Date.now() - liftedAt).toBeLessThan(15_000);
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 180_000);
});
