import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import type { GiteaDouble } from '../doubles/gitea/index.js';
import { testIo } from '../cli/cli-io.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { git, type TempRepo } from '../support/git.js';
import type { PrometheusServer } from '../support/prometheus.js';
import type { RedisServer } from '../support/redis-server.js';
import {
  DEPLOY_REPO,
  eventually,
  IMAGE,
  startGiteaWorld,
  type GiteaWorld,
  type PromobotUnderTest,
} from './harness.js';

const REPO = DEPLOY_REPO;

/**
 * Each tag its own image, pushed now: the fixture's one digest and push time would make every later tag the same
 * image, or an older push.
 */
function withOwnDigest(body: string, tag: string, secondsLater: number): string {
  const payload = JSON.parse(body) as {
    occur_at: number;
    event_data: { resources: { digest: string }[] };
  };
  payload.occur_at = Math.floor(Date.now() / 1000) + secondsLater;
  for (const resource of payload.event_data.resources)
    resource.digest = `sha256:${tag.padEnd(64, '0').slice(0, 64)}`;
  return JSON.stringify(payload);
}

// prod is gated and approved by one of: the team bootcamp/sre, or release-lead by login.
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
      approvals: { required: 1, approvers: [team:bootcamp/sre, release-lead] }
      gates: [ttft-p95, error-rate]
      gating: { interval: 300ms, passes: 2, failureLimit: 1, maxInconclusive: 1m }
`;

/**
 * Issue #19's acceptance, through the running service on the strict Gitea double: with the documented least
 * privilege (repo admin, member of the approvers' team) a team approver's and a login approver's `/approve` merge the
 * gated prod PR; with the bot a write collaborator in no team, `/approve` gets the explanatory reply, nothing merges,
 * and `doctor` exits 1 naming both missing capabilities.
 */
describe('approvals on a Gitea that applies its route guards', () => {
  let world: GiteaWorld;
  let redis: RedisServer;
  let prometheus: PrometheusServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;
  let botToken: string;
  let pushes = 0;

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'least',
      policy: POLICY,
      access: { carol: 'write', 'release-lead': 'write' },
      // docs/ACCESS.md: promobot is a repo admin of the deploy repo and a member of the approvers' team.
      teams: { sre: ['carol', 'promobot'] },
      prometheus: {
        families: chatFamilies(
          SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
        ),
      },
    });
    if (!world.promobot || !world.prometheus) throw new Error('promobot and Prometheus in this process');
    ({ redis, deploy, home, gitea, promobot, prometheus } = world as GiteaWorld & {
      promobot: PromobotUnderTest;
      prometheus: PrometheusServer;
    });
    botToken = world.tokens.promobot ?? '';
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  /** Pushes `tag` to Harbor and waits for its gated prod PR, with green gates. */
  async function gatedProdPr(tag: string) {
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: withOwnDigest(harborPushWithTags(tag), tag, pushes++),
    });
    expect(push.status).toBe(202);
    return eventually(`the prod PR of ${tag}`, () =>
      gitea
        .pulls(REPO)
        .find(
          (p) =>
            p.state === 'open' &&
            p.head === 'promobot/prod/alpine' &&
            parsePromotionMeta(p.body)?.tag === tag,
        ),
    );
  }

  function doctor() {
    const io = testIo({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      REDIS_URL: redis.url,
      PROMOBOT_POLICIES: join(home, 'policies'),
      GITEA_URL: gitea.url,
      GITEA_TOKEN: botToken,
      PROMETHEUS_URL: prometheus.url,
    });
    return runCli(['doctor'], io).then((code) => ({ code, out: io.out() }));
  }

  it("merges on a team approver's /approve, then on a login approver's", async () => {
    const first = await gatedProdPr('1111111aaaaaaa');
    await gitea.comment(REPO, first.index, 'carol', '/approve');
    const merged = await eventually('the merge approved by the team member', () =>
      gitea.pull(REPO, first.index)?.merged ? gitea.pull(REPO, first.index) : undefined,
    );
    expect(git(deploy.bare, 'log', '-1', '--format=%B', merged!.mergeCommitSha!)).toContain(
      'Promobot-Approved-By: carol',
    );

    const second = await gatedProdPr('2222222bbbbbbb');
    await gitea.comment(REPO, second.index, 'release-lead', '/approve');
    await eventually('the merge approved by release-lead', () =>
      gitea.pull(REPO, second.index)?.merged ? true : undefined,
    );

    const { out } = await doctor();
    expect(out).toMatch(/\[ok\] +bootcamp\/notes-deploy: read another user's permission/);
    expect(out).toMatch(/\[ok\] +bootcamp\/notes-deploy: read the members of team:bootcamp\/sre/);
  }, 120_000);

  it("reports in the PR a merge Gitea's branch protection refuses, and merges once a person's review meets it", async () => {
    const pr = await gatedProdPr('4444444ddddddd');
    // Protected after staging merged: the rule asks for an official approving review, which /approve is not.
    gitea.protectBranch(REPO, 'main', { requiredApprovals: 1 });
    try {
      await gitea.comment(REPO, pr.index, 'carol', '/approve');
      const report = await eventually('the refusal in the PR', () =>
        gitea
          .comments(REPO, pr.index)
          .find((c) => c.author.login === 'promobot' && c.body.includes('refused to merge it')),
      );
      expect(report.body).toContain(
        'Gitea refused to merge it: “not allowed to merge [reason: Does not have enough approvals]”',
      );
      expect(gitea.pull(REPO, pr.index)).toMatchObject({ merged: false });
      await gitea.review(REPO, pr.index, 'release-lead', 'APPROVED', 'ok');
      await eventually('the merge after the review', () =>
        gitea.pull(REPO, pr.index)?.merged ? true : undefined,
      );
      expect(
        gitea.comments(REPO, pr.index).filter((c) => c.body.includes('refused to merge it')),
      ).toHaveLength(1);
    } finally {
      gitea.protectBranch(REPO, 'main', undefined);
    }
  }, 120_000);

  it("answers an under-privileged bot's /approve with the fix, merges nothing, and doctor names both gaps", async () => {
    // As the issue met it: a write collaborator, in no team of the org.
    gitea.setAccess(REPO, 'promobot', 'write');
    gitea.setTeamMember('bootcamp', 'sre', 'promobot', false);
    const pr = await gatedProdPr('3333333ccccccc');
    await gitea.comment(REPO, pr.index, 'carol', '/approve');
    const reply = await eventually('the explanatory reply', () =>
      gitea
        .comments(REPO, pr.index)
        .find((c) => c.author.login === 'promobot' && c.body.startsWith('@carol promobot could not decide')),
    );
    expect(reply.body).toContain("could not read @carol's permission on bootcamp/notes-deploy");
    expect(reply.body).toContain('not your rights');
    expect(reply.body).toContain(
      "make promobot's Gitea user promobot an administrator of bootcamp/notes-deploy",
    );
    const metrics = await (await fetch(`${promobot.app.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/promobot_command_errors_total\{reason="read-permission"\} 1/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(gitea.pull(REPO, pr.index)).toMatchObject({ state: 'open', merged: false });

    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(out).toMatch(
      /\[FAIL\] bootcamp\/notes-deploy: read another user's permission: .*\[missing: read-permission\]/,
    );
    expect(out).toMatch(
      /\[FAIL\] bootcamp\/notes-deploy: read the members of team:bootcamp\/sre: .*\[missing: read-org-teams\]/,
    );

    // The fix doctor names; then the same command, typed again, merges.
    gitea.setAccess(REPO, 'promobot', 'admin');
    gitea.setTeamMember('bootcamp', 'sre', 'promobot', true);
    const fixed = await doctor();
    expect(fixed.out).not.toMatch(/\[FAIL\] bootcamp\/notes-deploy: read/);
    await gitea.comment(REPO, pr.index, 'carol', '/approve');
    await eventually('the merge after the fix', () =>
      gitea.pull(REPO, pr.index)?.merged ? true : undefined,
    );

    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 120_000);
});
