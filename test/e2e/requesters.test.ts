import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GiteaDouble } from '../doubles/gitea/index.js';
import { git, type TempRepo } from '../support/git.js';
import { eventually, manifest, startGiteaWorld, type GiteaWorld } from './harness.js';

/**
 * Issue #13, cases 1, 2 and 4, through the running service on the strict Gitea double: whoever asks for a prod
 * promotion (`/promote`) or a rollback (`/rollback`) cannot approve it, however they edit the PR and whatever the
 * host answers meanwhile.
 */

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const FIRST = '1111111bbbbbbb';
const SECOND = '2222222ccccccc';

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
  let world: GiteaWorld;
  let gitea: GiteaDouble;
  let deploy: TempRepo;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'requesters',
      policy: POLICY,
      access: { 'release-lead': 'write', 'release-lead2': 'write', 'dev-author': 'write' },
      teams: { sre: ['promobot', 'release-lead', 'release-lead2'] },
    });
    ({ gitea, deploy, tokens } = world);
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  const status = (index: number) => world.statusComment(index)?.body ?? '';
  const said = (index: number, text: string) => world.said(index, text);
  const prodPr = (tag: string) => world.openPull('promobot/prod/alpine', tag);
  const push = (tag: string, occurAt: number) => world.push(world.promobot!.app.baseUrl, tag, occurAt);
  const merged = (index: number) => world.merged(index);
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
