import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANUAL_MERGE_MARKER } from '../../src/governance/manual-merge.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { git } from '../support/git.js';
import { DEPLOY_REPO, eventually, IMAGE, startGiteaWorld, type GiteaWorld } from './harness.js';

const REPO = DEPLOY_REPO;
const TAG = '5555555fffffff';

// prod's gates need two passing rounds an hour apart: they stay pending for the whole test.
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
      approvals: { required: 1, approvers: [bob] }
      gates: [ttft-p95, error-rate]
      gating: { interval: 1h, passes: 2, failureLimit: 1, maxInconclusive: 2h }
`;

describe('a person merges a gated prod PR where the branch is not protected', () => {
  let world: GiteaWorld;
  let gitea: GiteaWorld['gitea'];
  let deploy: GiteaWorld['deploy'];

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'manual-merge',
      policy: POLICY,
      access: { alice: 'write', bob: 'write' },
      prometheus: {
        families: chatFamilies(
          SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
        ),
      },
    });
    ({ gitea, deploy } = world);
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  it('records and announces the merge by hand, once', async () => {
    await world.push(world.promobot!.app.baseUrl, TAG);

    // The entry commit is a push straight to the protected branch: promobot is in its push allow-list.
    await eventually('the dev commit', () => {
      deploy.pull();
      return git(deploy.work, 'show', 'HEAD:alpine/dev/app.yaml').includes(TAG) ? true : undefined;
    });
    // staging has no gates: its PR carries promobot/gates "no gates" and merges under the protection.
    const staging = await eventually('the staging merge', () =>
      gitea.pulls(REPO).find((p) => p.head === 'promobot/staging/alpine' && p.merged),
    );
    expect(gitea.statuses(REPO, staging.headSha).map((s) => `${s.context} ${s.state}`)).toContain(
      'promobot/gates success',
    );

    const prod = await eventually('the prod PR with its gates pending', () => {
      const pr = gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');
      if (!pr) return undefined;
      const states = gitea.statuses(REPO, pr.headSha).map((s) => `${s.context} ${s.state}`);
      return states.includes('promobot/gates pending') && states.includes('promobot/approval pending')
        ? pr
        : undefined;
    });
    // Without `promobot setup` the host lets alice merge with the gates pending: promobot notices and says so.
    expect(await gitea.merge(REPO, prod.index, 'alice')).toBe(200);
    const warning = await eventually('the manual-merge comment', () =>
      gitea
        .comments(REPO, prod.index)
        .find((c) => c.author.login === 'promobot' && c.body.includes(MANUAL_MERGE_MARKER)),
    );
    expect(warning.body).toContain('@alice merged this promotion PR by hand');
    expect(warning.body).toContain('promobot/gates: pending');
    expect(warning.body).toContain('promobot/approval: pending');
    await eventually('the audit entry in the status comment', () =>
      gitea
        .comments(REPO, prod.index)
        .some((c) => c.author.login === 'promobot' && /merge by hand/.test(c.body) && /@?alice/.test(c.body))
        ? true
        : undefined,
    );
    // A redelivered event or a second look posts nothing more.
    await gitea.flush();
    expect(gitea.comments(REPO, prod.index).filter((c) => c.body.includes(MANUAL_MERGE_MARKER))).toHaveLength(
      1,
    );

    await gitea.flush();
    expect(gitea.violations).toEqual([]);
    expect(gitea.answerProblems).toEqual([]);
  }, 120_000);
});
