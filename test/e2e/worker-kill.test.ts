import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promobotProcess, type PromobotProcess } from '../chaos/support/promobot-process.js';
import { git } from '../support/git.js';
import {
  DEPLOY_REPO,
  eventually,
  startGiteaWorld,
  startHoldingProxy,
  type GiteaWorld,
  type HoldingProxy,
} from './harness.js';

/**
 * Issue #13, case 8, through a real promobot process: it is SIGKILLed while it handles an `/approve` (the host has
 * carried out its reply, and the answer never reaches it). A fresh process takes the job over once bullmq finds it
 * stalled (its lock expires with the dead worker, then the next stalled check: both shortened here through
 * `WORKER_LOCK_DURATION_MS` and `WORKER_STALLED_INTERVAL_MS`), and in the end there is exactly one reply to the
 * comment, and the merge.
 */

const FIRST = '1111111bbbbbbb';
const PROD = 'promobot/prod/alpine';

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${DEPLOY_REPO} }
  apps: [{ name: alpine, image: localhost/harbor/alpine }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 1, approvers: [team:bootcamp/sre], allowAuthor: false }
`;

describe('a worker killed while it handles an /approve', () => {
  let world: GiteaWorld;
  let proxy: HoldingProxy;
  let promobot: PromobotProcess;

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'worker-kill',
      policy: POLICY,
      access: { 'release-lead': 'write', 'dev-author': 'write' },
      teams: { sre: ['promobot', 'release-lead'] },
      inProcess: false,
    });
    // promobot talks to Gitea through the hop, which can keep one answer from it.
    proxy = await startHoldingProxy(world.gitea.url);
    promobot = await promobotProcess({
      command: 'start',
      redisUrl: world.redis.url,
      policiesDir: join(world.home, 'policies'),
      dataDir: join(world.home, 'data'),
      home: world.home,
      giteaUrl: proxy.url,
      giteaToken: world.tokens.promobot ?? '',
      queuePrefix: 'killed',
      // A lock renewed every 2.5 s still survives a loaded machine's pauses; a dead worker's job is free in 5 s.
      env: { WORKER_LOCK_DURATION_MS: '5000', WORKER_STALLED_INTERVAL_MS: '1000' },
    });
    await promobot.start();
    await world.hookTo(promobot.url);
  }, 120_000);

  afterAll(async () => {
    await promobot?.kill();
    await proxy?.close();
    await world?.close();
  });

  it('answers once and merges, after a kill -9 between the reply and its answer', async () => {
    await world.push(promobot.url, FIRST, 1_790_000_000);
    const pr = await world.openPull(PROD, FIRST);
    await eventually('the status comment', () => world.statusComment(pr.index));

    const held = proxy.holdAnswer(
      (r) =>
        r.method === 'POST' &&
        r.path.endsWith(`/issues/${String(pr.index)}/comments`) &&
        r.body.includes('promobot:reply-to '),
    );
    const approve = await world.gitea.comment(DEPLOY_REPO, pr.index, 'release-lead', '/approve\n/status');
    const marker = `<!-- promobot:reply-to ${String(approve.id)} -->`;
    const request = await held;
    expect(request.body).toContain(marker);
    await promobot.kill();
    // The host has the reply; promobot died before it knew, and before it saved or merged anything.
    const replies = () =>
      world.gitea
        .comments(DEPLOY_REPO, pr.index)
        .filter((c) => c.author.login === 'promobot' && c.body.includes(marker));
    expect(replies()).toHaveLength(1);
    expect(world.gitea.pull(DEPLOY_REPO, pr.index)).toMatchObject({ merged: false });

    await promobot.start();
    const done = await eventually(
      `#${String(pr.index)} merged by the fresh process`,
      () =>
        world.gitea.pull(DEPLOY_REPO, pr.index)?.merged ? world.gitea.pull(DEPLOY_REPO, pr.index) : undefined,
      180_000,
    );
    const message = git(world.deploy.bare, 'log', '-1', '--format=%B', done.mergeCommitSha!);
    expect(message.split('\n').filter((l) => l.startsWith('Promobot-Approved-By:'))).toEqual([
      'Promobot-Approved-By: release-lead',
    ]);
    await eventually('the merge recorded on the status comment', () =>
      world.statusComment(pr.index)?.body.includes('| merge | done |') ? true : undefined,
    );
    await world.gitea.flush();
    expect(replies()).toHaveLength(1);
    expect(world.gitea.violations).toEqual([]);
  }, 300_000);
});
