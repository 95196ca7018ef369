import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromotionMeta, renderPromotionMeta } from '../../src/promotion/index.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { git } from '../support/git.js';
import {
  DEPLOY_REPO,
  eventually,
  IMAGE,
  manifest,
  OLD_TAG,
  startGiteaWorld,
  type GiteaWorld,
} from './harness.js';

/**
 * Issue #13, case 5, through the running service on the strict Gitea double with a real Prometheus: a writer pushes
 * a promobot rollback branch of their own and opens a PR from it with a copied metadata block. promobot runs no
 * gates there, sets no status on that person's commit and says nothing on the PR.
 */

const REPO = DEPLOY_REPO;
const OLD = OLD_TAG;
const TAG = '5555555fffffff';

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
  let world: GiteaWorld;

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'foreign',
      policy: POLICY,
      access: { 'release-lead': 'write', 'dev-author': 'write' },
      prometheus: {
        families: chatFamilies(
          SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
        ),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  it('runs no gates, sets no status and says nothing there', async () => {
    const { gitea, deploy, tokens } = world;
    const promobot = world.promobot;
    if (!promobot) throw new Error('the world runs promobot in this process');
    await world.push(promobot.app.baseUrl, TAG, 1_790_000_000);
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
