import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const REPO = DEPLOY_REPO;
const OLD = OLD_TAG;
const TAG = '5555555fffffff';

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
  let world: GiteaWorld;
  let gitea: GiteaWorld['gitea'];
  let deploy: GiteaWorld['deploy'];
  let windowEnd: number;

  beforeAll(async () => {
    // Seconds, not a faked clock: the window opened an hour ago and ends 20 s from now.
    windowEnd = Math.ceil((Date.now() + 20_000) / 1000) * 1000;
    world = await startGiteaWorld({
      name: 'freeze',
      policy: policy(
        new Date(windowEnd - 3_600_000).toISOString(),
        new Date(windowEnd).toISOString(),
        new Date(windowEnd + 86_400_000).toISOString(),
      ),
      files: {
        'alpine/dev/app.yaml': manifest(OLD),
        'alpine/prod/app.yaml': manifest(OLD),
        'alpine/eu/app.yaml': manifest(OLD),
      },
      access: { bob: 'write', carol: 'write', mallory: 'write' },
    });
    ({ gitea, deploy } = world);
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  it('keeps the approved prod PR open while frozen, saying until when, and merges it once the window ends', async () => {
    await world.push(world.promobot!.app.baseUrl, TAG);
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
