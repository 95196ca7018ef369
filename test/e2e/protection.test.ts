import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { loadPolicies } from '../../src/policy/index.js';
import { syncProtection } from '../../src/setup/index.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { git } from '../support/git.js';
import {
  DEPLOY_REPO,
  eventually,
  IMAGE,
  OLD_TAG,
  startGiteaWorld,
  startGitHubWorld,
  type World,
  type WorldHost,
} from './harness.js';

const REPO = DEPLOY_REPO;
const TAG = '5555555fffffff';

// prod's gates need two passing rounds an hour apart: they stay pending for the whole test.
const policy = (scm: WorldHost) => `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: ${scm}, repo: ${REPO} }
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

const prometheus = {
  families: chatFamilies(
    SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
  ),
};

/** `promobot setup`'s protection step, with the policies of `world` and the configuration it runs with. */
async function protect(world: World, env: Record<string, string>, botLogin?: string) {
  const { policies } = await loadPolicies(join(world.home, 'policies'));
  const outcomes = await syncProtection({
    config: loadConfig(env),
    policies,
    ...(botLogin ? { botLogin } : {}),
  });
  expect(outcomes.map((o) => o.action)).toEqual(['created']);
}

const HOSTS: { title: string; start(): Promise<World> }[] = [
  {
    // A Gitea branch protection rule, set with promobot's own token: promobot is in its push allow-list.
    title: 'a protected deploy branch on Gitea (promobot setup)',
    start: () =>
      startGiteaWorld({
        name: 'protection',
        policy: policy('gitea'),
        access: { alice: 'write', bob: 'write' },
        prometheus,
        beforePromobot: (world) =>
          protect(world, { GITEA_URL: world.gitea.url, GITEA_TOKEN: world.tokens.promobot ?? '' }),
      }),
  },
  {
    // A ruleset, set by an admin with `promobot setup --bot promobot` (promobot itself only writes,
    // docs/ACCESS.md): promobot is on the ruleset's bypass list.
    title: 'a protected deploy branch on GitHub (promobot setup, a ruleset)',
    start: () =>
      startGitHubWorld({
        name: 'protection',
        policy: policy('github'),
        access: { alice: 'write', bob: 'write' },
        prometheus,
        beforePromobot: (world) =>
          protect(
            world,
            { GITHUB_API_URL: world.github.url, GITHUB_TOKEN: world.tokens.owner ?? '' },
            'promobot',
          ),
      }),
  },
];

describe.each(HOSTS)('$title', ({ start }) => {
  let world: World;

  beforeAll(async () => {
    world = await start();
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  it("lands promobot's entry commit and staging merge, and the host refuses a person's merge of the gated prod PR", async () => {
    const { scm, deploy } = world;
    await world.push(world.promobot!.app.baseUrl, TAG);

    // The entry commit is a push straight to the protected branch: promobot may push to it.
    await eventually('the dev commit', () => {
      deploy.pull();
      return git(deploy.work, 'show', 'HEAD:alpine/dev/app.yaml').includes(TAG) ? true : undefined;
    });
    // staging has no gates: its PR carries promobot/gates "no gates" and merges under the protection.
    const staging = await eventually('the staging merge', () =>
      scm.pulls().find((p) => p.head === 'promobot/staging/alpine' && p.merged),
    );
    expect(scm.statuses(staging.headSha).map((s) => `${s.context} ${s.state}`)).toContain(
      'promobot/gates success',
    );

    const prod = await eventually('the prod PR with its gates pending', () => {
      const pr = scm.pulls().find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');
      if (!pr) return undefined;
      const states = scm.statuses(pr.headSha).map((s) => `${s.context} ${s.state}`);
      return states.includes('promobot/gates pending') && states.includes('promobot/approval pending')
        ? pr
        : undefined;
    });
    // alice may write, and the UI would offer her the merge button: the protection's required statuses refuse it.
    expect(await scm.merge(prod.number, 'alice')).toBe(405);
    expect(scm.pull(prod.number)).toMatchObject({ state: 'open', merged: false });
    deploy.pull();
    expect(git(deploy.work, 'show', 'HEAD:alpine/prod/app.yaml')).toContain(`${IMAGE}:${OLD_TAG}`);

    await scm.flush();
    expect(scm.violations).toEqual([]);
    expect(scm.answerProblems).toEqual([]);
  }, 120_000);
});
