import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { TEST_SECRETS } from '../support/app.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startPromobot, type PromobotUnderTest } from './harness.js';

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const TAG = '5555555fffffff';

const manifest = (tag: string) => `containers:\n  - name: alpine\n    image: ${IMAGE}:${tag}\n`;

/**
 * prod needs bob's approval and is frozen by a dated window that ends seconds after the test starts; eu merges by
 * itself but is frozen for a day, unless carol (its freeze override approver) says /unfreeze.
 */
const policy = (from: string, to: string, euTo: string) => `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: dev
      approvals: { required: 1, approvers: [bob] }
      freeze:
        windows: [{ reason: release freeze, from: '${from}', to: '${to}' }]
    - name: eu
      path: '{{app}}/eu'
      update: pull-request
      from: dev
      autoMerge: true
      freeze:
        windows: [{ reason: eu change freeze, from: '${from}', to: '${euTo}' }]
        overrideApprovers: [carol]
`;

describe('a freeze window on prod', () => {
  let redis: RedisServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;
  let windowEnd: number;

  beforeAll(async () => {
    redis = await startRedis();
    deploy = createTempRepo({
      'alpine/dev/app.yaml': manifest(OLD),
      'alpine/prod/app.yaml': manifest(OLD),
      'alpine/eu/app.yaml': manifest(OLD),
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-freeze-'));
    mkdirSync(join(home, 'policies'));
    // Seconds, not a faked clock: the window opened an hour ago and ends 20 s from now.
    windowEnd = Math.ceil((Date.now() + 20_000) / 1000) * 1000;
    writeFileSync(
      join(home, 'policies', 'alpine.yaml'),
      policy(
        new Date(windowEnd - 3_600_000).toISOString(),
        new Date(windowEnd).toISOString(),
        new Date(windowEnd + 86_400_000).toISOString(),
      ),
    );
    gitea = await startGiteaDouble();
    const bot = gitea.addUser('promobot');
    for (const login of ['bob', 'carol', 'mallory']) gitea.addUser(login);
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin', bob: 'write', carol: 'write', mallory: 'write' },
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
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('keeps the approved prod PR open while frozen, saying until when, and merges it once the window ends', async () => {
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);
    const prod = await eventually('the frozen prod PR', () => {
      const pr = gitea.pulls(REPO).find((p) => p.head === 'promobot/prod/alpine');
      return pr &&
        gitea.statuses(REPO, pr.headSha).some((s) => s.context === 'promobot/freeze' && s.state === 'pending')
        ? pr
        : undefined;
    });
    const frozen = gitea
      .statuses(REPO, prod.headSha)
      .filter((s) => s.context === 'promobot/freeze')
      .at(-1)!;
    expect(frozen.description).toBe(
      `frozen until ${new Date(windowEnd).toISOString().replace('.000Z', 'Z')}: release freeze`,
    );

    // The status comment says so too (it is written at the candidate, when the window is open).
    await eventually('"frozen until" in the status comment', () =>
      gitea
        .comments(REPO, prod.index)
        .some(
          (c) =>
            c.author.login === 'promobot' &&
            c.body.includes(`frozen until ${new Date(windowEnd).toISOString()} (release freeze)`),
        )
        ? true
        : undefined,
    );

    // bob approves during the freeze: the approval counts, the merge waits.
    await gitea.comment(REPO, prod.index, 'bob', '/approve');
    await eventually('the approval to count', () =>
      gitea
        .statuses(REPO, prod.headSha)
        .some((s) => s.context === 'promobot/approval' && s.state === 'success')
        ? true
        : undefined,
    );
    if (Date.now() < windowEnd - 1_000)
      expect(gitea.pull(REPO, prod.index)).toMatchObject({ state: 'open', merged: false });

    const merged = await eventually(
      'the merge after the window',
      () => (gitea.pull(REPO, prod.index)?.merged ? gitea.pull(REPO, prod.index) : undefined),
      90_000,
    );
    const mergedAt = Date.parse(git(deploy.bare, 'log', '-1', '--format=%cI', merged!.mergeCommitSha!));
    expect(mergedAt).toBeGreaterThanOrEqual(windowEnd - 1_000);
    expect(
      gitea
        .statuses(REPO, merged!.headSha)
        .filter((s) => s.context === 'promobot/freeze')
        .at(-1)?.state,
    ).toBe('success');
    deploy.pull();
    expect(git(deploy.work, 'show', 'HEAD:alpine/prod/app.yaml')).toContain(`${IMAGE}:${TAG}`);
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 150_000);
  it('merges the frozen eu PR at once on /unfreeze by its override approver, audited; refuses anyone else', async () => {
    const eu = await eventually('the frozen eu PR', () => {
      const pr = gitea.pulls(REPO).find((p) => p.head === 'promobot/eu/alpine');
      return pr &&
        gitea.statuses(REPO, pr.headSha).some((s) => s.context === 'promobot/freeze' && s.state === 'pending')
        ? pr
        : undefined;
    });
    expect(gitea.pull(REPO, eu.index)).toMatchObject({ state: 'open', merged: false });

    await gitea.comment(REPO, eu.index, 'mallory', '/unfreeze');
    await eventually('the refusal of mallory', () =>
      gitea
        .comments(REPO, eu.index)
        .some(
          (c) =>
            c.author.login === 'promobot' &&
            c.body.includes(
              '@mallory is not in the freeze override list of eu (carol); only they may /unfreeze',
            ),
        )
        ? true
        : undefined,
    );
    expect(gitea.pull(REPO, eu.index)).toMatchObject({ state: 'open', merged: false });

    await gitea.comment(REPO, eu.index, 'carol', '/unfreeze');
    await eventually('the merge on /unfreeze', () => (gitea.pull(REPO, eu.index)?.merged ? true : undefined));
    const audit = await eventually('/unfreeze in the audit list', () =>
      gitea
        .comments(REPO, eu.index)
        .find(
          (c) =>
            c.author.login === 'promobot' &&
            /\/unfreeze/.test(c.body) &&
            /carol/.test(c.body) &&
            /Decisions/.test(c.body),
        ),
    );
    expect(audit.body).toContain('lifted the freeze');
    expect(
      gitea
        .statuses(REPO, eu.headSha)
        .filter((s) => s.context === 'promobot/freeze')
        .at(-1)?.description,
    ).toBe('frozen, unfrozen by @carol');
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 120_000);
});
