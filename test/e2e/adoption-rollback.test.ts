import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger/index.js';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import { createScmHost } from '../../src/hosts/index.js';
import { repoRef, type ScmHost } from '../../src/scm/index.js';
import type { GiteaDouble } from '../doubles/gitea/index.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { git, type TempRepo } from '../support/git.js';
import { seedPeopleHistory } from '../support/people-history.js';
import { eventually, startGiteaWorld, type GiteaWorld, type PromobotUnderTest } from './harness.js';

const REPO = 'bootcamp/notes-deploy';
// What the Harbor push fixture names; the app keeps the name people gave it in the deploy repo.
const IMAGE = 'localhost/harbor/alpine';
const TAG = '3f9c2ab';

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: chat-ui, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 1, approvers: [release-lead] }
`;

/**
 * Adoption day: a deploy repo whose environments people wrote for years (merges, a revert, hand edits in the
 * four formats, no trailers) gets promobot. The first promotion goes through; then `/rollback` on an issue must
 * find the tags that ran from the files, and answer each command once with what happened.
 */
describe('adopting promobot on a deploy repo with a past', () => {
  let world: GiteaWorld;
  let deploy: TempRepo;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;
  let host: ScmHost;

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'adoption',
      policy: POLICY,
      files: { 'README.md': 'deploy repo\n' },
      prepare: (repo) => seedPeopleHistory(repo, { image: IMAGE }),
      access: { 'release-lead': 'write' },
    });
    ({ deploy, gitea } = world);
    promobot = world.promobot!;
    host = createScmHost('gitea', {
      baseUrl: gitea.url,
      token: world.tokens.promobot ?? '',
      logger: createLogger({ level: 'silent' }),
    });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  const botReplies = async (index: number) =>
    (await host.listComments(repoRef(REPO), index))
      .filter((c) => c.author === 'promobot')
      // Each reply ends with the hidden line naming the comment it answers.
      .map((c) => c.body.replace(/\n<!-- promobot:reply-to \d+ -->$/, ''));

  it('promotes once, then rolls prod back to the tags people ran, answering each command once', async () => {
    // The first push: dev by commit, staging by an auto-merged PR, prod by a PR the release lead approves.
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);
    const prod = await eventually('the prod PR', () =>
      gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/prod/chat-ui'),
    );
    // The start-up reconcile and the promotion read the environments from the files people wrote: prod's PR
    // replaces 1a2b3c4, which no trailer names.
    expect(parsePromotionMeta(prod.body)).toMatchObject({ env: 'prod', tag: TAG, previousTag: '1a2b3c4' });
    await gitea.comment(REPO, prod.index, 'release-lead', '/approve');
    await eventually('the prod merge', () => (gitea.pull(REPO, prod.index)?.merged ? true : undefined));
    expect(git(deploy.bare, 'show', 'main:chat-ui/prod/values.yaml')).toContain(`tag: "${TAG}"`);
    expect(git(deploy.bare, 'show', 'main:chat-ui/prod/sidecar.yaml')).toContain(`value: ${TAG}`);

    // Prod misbehaves: the release lead opens an issue and asks for a rollback.
    const issue = await gitea.openIssue(REPO, { author: 'release-lead', title: 'chat-ui is slow in prod' });
    await gitea.comment(REPO, issue.index, 'release-lead', '/rollback prod');
    const [first] = await eventually('the answer to /rollback prod', async () => {
      const replies = await botReplies(issue.index);
      return replies.length >= 1 ? replies : undefined;
    });
    const rollback = gitea
      .pulls(REPO)
      .find((p) => p.state === 'open' && p.head === 'promobot/rollback/prod/chat-ui');
    expect(rollback).toBeDefined();
    expect(parsePromotionMeta(rollback!.body)).toMatchObject({
      kind: 'rollback',
      env: 'prod',
      tag: '1a2b3c4',
      previousTag: TAG,
    });
    expect(first).toBe(
      `@release-lead\n- ✅ \`/rollback prod\`: rollback PR #${rollback!.index} returns chat-ui in prod to 1a2b3c4: ${gitea.url}/${REPO}/pulls/${rollback!.index}`,
    );
    const branch = 'promobot/rollback/prod/chat-ui';
    expect(git(deploy.bare, 'show', `${branch}:chat-ui/prod/values.yaml`)).toContain('tag: "1a2b3c4"');
    expect(git(deploy.bare, 'show', `${branch}:chat-ui/prod/sidecar.yaml`)).toContain('value: 1a2b3c4');

    // An older tag people ran, through a hotfix branch merged and later reverted: the same PR now goes there.
    await gitea.comment(REPO, issue.index, 'release-lead', '/rollback prod to 0c0c0c0');
    const second = await eventually('the answer to /rollback prod to 0c0c0c0', async () => {
      const replies = await botReplies(issue.index);
      return replies.length >= 2 ? replies[1] : undefined;
    });
    expect(second).toBe(
      `@release-lead\n- ✅ \`/rollback prod to 0c0c0c0\`: rollback PR #${rollback!.index} returns chat-ui in prod to 0c0c0c0: ${gitea.url}/${REPO}/pulls/${rollback!.index}`,
    );
    expect(parsePromotionMeta(gitea.pull(REPO, rollback!.index)!.body)).toMatchObject({ tag: '0c0c0c0' });
    expect(git(deploy.bare, 'show', `${branch}:chat-ui/prod/values.yaml`)).toContain('tag: "0c0c0c0"');

    // A tag that never ran in prod: refused, with the tags that did, newest first.
    await gitea.comment(REPO, issue.index, 'release-lead', '/rollback prod to fffffff');
    const third = await eventually('the answer to /rollback prod to fffffff', async () => {
      const replies = await botReplies(issue.index);
      return replies.length >= 3 ? replies[2] : undefined;
    });
    expect(third).toBe(
      "@release-lead\n- ❌ `/rollback prod to fffffff`: fffffff never ran in prod (by the deploy repo's history): " +
        'roll back only to a tag that did: 1a2b3c4, 0e0e0e0, 0d0d0d0, 0b0b0b0, 0c0c0c0, 0a0a0a0',
    );
    expect(parsePromotionMeta(gitea.pull(REPO, rollback!.index)!.body)).toMatchObject({ tag: '0c0c0c0' });

    // Exactly one answer per command, and nothing else said on the issue.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await botReplies(issue.index)).toHaveLength(3);
    // The start-up reconcile found nothing to do in what people left (every environment at 1a2b3c4): the only PRs
    // are the push's and the rollback's.
    expect(gitea.pulls(REPO).map((p) => p.head)).toEqual([
      'promobot/staging/chat-ui',
      'promobot/prod/chat-ui',
      branch,
    ]);
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 180_000);
});
