import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStatusComment } from '../../src/chatops/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { TEST_SECRETS } from '../support/app.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startPromobot, type PromobotUnderTest } from './harness.js';

/**
 * Issue #13, cases 1, 2 and 4, through the running service on the strict Gitea double: whoever asks for a prod
 * promotion (`/promote`) or a rollback (`/rollback`) cannot approve it, however they edit the PR and whatever the
 * host answers meanwhile.
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
  deployRepo: { scm: gitea, repo: ${REPO} }
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

describe('requesters of /promote and /rollback cannot approve what they asked for', () => {
  let redis: RedisServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    redis = await startRedis();
    deploy = createTempRepo({
      'alpine/dev/app.yaml': manifest(OLD),
      'alpine/staging/app.yaml': manifest(OLD),
      'alpine/prod/app.yaml': manifest(OLD),
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-requesters-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), POLICY);
    gitea = await startGiteaDouble();
    for (const login of ['promobot', 'release-lead', 'release-lead2', 'dev-author'])
      tokens[login] = gitea.addUser(login).token;
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin', 'release-lead': 'write', 'release-lead2': 'write', 'dev-author': 'write' },
    });
    gitea.addTeam('bootcamp', 'sre', ['promobot', 'release-lead', 'release-lead2']);
    promobot = await startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'info',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        gitea: { url: gitea.url, token: tokens.promobot ?? '' },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
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
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const status = (index: number) =>
    gitea.comments(REPO, index).find((c) => c.author.login === 'promobot' && isStatusComment(c.body))?.body ??
    '';
  const said = (index: number, text: string) =>
    eventually(`"${text}" on #${index}`, () =>
      gitea.comments(REPO, index).some((c) => c.author.login === 'promobot' && c.body.includes(text))
        ? true
        : undefined,
    );
  const prodPr = (tag: string) =>
    eventually(`the prod PR of ${tag}`, () =>
      gitea
        .pulls(REPO)
        .find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine' && p.body.includes(tag)),
    );
  const push = async (tag: string, occurAt: number) => {
    const answer = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      // Stamped with its own push time, as each real push is: the newer push wins.
      body: JSON.stringify({ ...(JSON.parse(harborPushWithTags(tag)) as object), occur_at: occurAt }),
    });
    expect(answer.status).toBe(202);
  };
  const merged = (index: number) =>
    eventually(`#${index} merged`, () =>
      gitea.pull(REPO, index)?.merged ? gitea.pull(REPO, index) : undefined,
    );
  const refusal = '@release-lead asked for this promotion and cannot approve it';

  it('keeps the requester through host faults and body edits, for promotions and rollbacks', async () => {
    await push(FIRST, 1_790_000_000);
    const first = await prodPr(FIRST);

    // Case 2: the host fails the writes that follow a /promote for a while; the requester is not forgotten.
    gitea.failNext({ method: 'PATCH', path: /\/pulls\/\d+$/, status: 500, times: 3 });
    gitea.failNext({ method: 'PATCH', path: /\/issues\/comments\/\d+$/, status: 500, times: 2 });
    gitea.failNext({ method: 'POST', path: /\/issues\/\d+\/comments$/, status: 500, times: 2 });
    await gitea.comment(REPO, first.index, 'release-lead', '/promote prod');
    await eventually('the requester on the status comment', () =>
      status(first.index).includes('**Requested by**: @release-lead') ? true : undefined,
    );

    // Case 1: the requester rewrites the PR body (Gitea lets a writer), then approves: refused all the same.
    // The faults armed above may still answer the first tries, as they would a person's.
    const edit = await eventually('the body edit', async () => {
      const answer = await fetch(`${gitea.url}/api/v1/repos/${REPO}/pulls/${first.index}`, {
        method: 'PATCH',
        headers: {
          authorization: `token ${tokens['release-lead'] ?? ''}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ body: first.body.replace(/"requestedBy":"[^"]*",?/, '') + '\n\nedited' }),
      });
      return answer.status === 500 ? undefined : answer.status;
    });
    expect(edit).toBe(201);
    await gitea.comment(REPO, first.index, 'release-lead', '/approve');
    await said(first.index, refusal);
    expect(gitea.pull(REPO, first.index)).toMatchObject({ merged: false });

    await gitea.comment(REPO, first.index, 'release-lead2', '/approve');
    const done = await merged(first.index);
    const message = git(deploy.bare, 'log', '-1', '--format=%B', done.mergeCommitSha!);
    expect(message).toContain('Promobot-Approved-By: release-lead2');
    expect(message).not.toContain('Promobot-Approved-By: release-lead\n');

    // A second release, so prod has an earlier tag of promobot's to return to.
    await push(SECOND, 1_790_000_600);
    const second = await prodPr(SECOND);
    await gitea.comment(REPO, second.index, 'release-lead2', '/approve');
    await merged(second.index);

    // Case 4: the requester of a rollback cannot approve the rollback PR.
    await gitea.comment(REPO, second.index, 'release-lead', '/rollback prod');
    const rollback = await eventually('the rollback PR', () =>
      gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/rollback/prod/alpine'),
    );
    await eventually('the rollback requester on the status comment', () =>
      status(rollback.index).includes('**Requested by**: @release-lead') ? true : undefined,
    );
    await gitea.comment(REPO, rollback.index, 'release-lead', '/approve');
    await said(rollback.index, refusal);
    expect(gitea.pull(REPO, rollback.index)).toMatchObject({ merged: false });

    // Case 5, for rollbacks: a person's commit on the bot's rollback branch stops the automation there, as on a
    // promotion branch: an approver's /approve then merges nothing.
    const branch = 'promobot/rollback/prod/alpine';
    git(deploy.work, 'fetch', '--quiet', 'origin', branch);
    git(deploy.work, 'checkout', '--quiet', '-B', branch, `origin/${branch}`);
    writeFileSync(join(deploy.work, 'alpine/prod/app.yaml'), manifest('9999999eeeeeee'));
    git(deploy.work, 'commit', '--quiet', '-am', 'a change of my own');
    git(deploy.work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
    git(deploy.work, 'checkout', '--quiet', 'main');
    await gitea.syncRefs();
    await gitea.comment(REPO, rollback.index, 'release-lead2', '/approve');
    await said(rollback.index, 'promobot will not update this PR any more');
    expect(gitea.pull(REPO, rollback.index)).toMatchObject({ merged: false });
    const foreignHead = git(deploy.bare, 'rev-parse', branch);
    expect(gitea.statuses(REPO, foreignHead).map((st) => st.context)).toEqual([]);

    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 180_000);
});
