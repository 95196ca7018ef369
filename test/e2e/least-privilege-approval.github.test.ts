import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import type { FineLevel, FinePermission, GitHubDouble } from '../doubles/github/index.js';
import { testIo } from '../cli/cli-io.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { TEST_SECRETS } from '../support/app.js';
import { git, type TempRepo } from '../support/git.js';
import {
  DEPLOY_REPO,
  eventually,
  IMAGE,
  startGitHubWorld,
  type GitHubWorld,
  type PromobotUnderTest,
} from './harness.js';

const REPO = DEPLOY_REPO;

/** docs/ACCESS.md, GitHub, fine-grained column: what promobot's fine-grained token holds (Metadata: read comes with it). */
const DOCUMENTED_FINE: Partial<Record<FinePermission, FineLevel>> = {
  contents: 'write',
  pull_requests: 'write',
  issues: 'write',
  statuses: 'write',
  members: 'read',
};

/** Each tag its own image, pushed now (the fixture's digest and push time would make every tag the same image). */
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
  deployRepo: { scm: github, repo: ${REPO} }
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
 * Issue #19's acceptance on GitHub, through the running service on the strict GitHub double: with the documented
 * least privilege (write on the deploy repo, an org member who sees the approvers' team; classic `repo`, `read:org`)
 * a team approver's and a login approver's `/approve` merge the gated prod PR; a secret team hidden from promobot
 * is answered as promobot's setup, never as "not in the team"; a merge refused by branch protection is reported
 * with GitHub's reason; a 403 rate limit is waited out; an under-privileged bot answers `/approve` with the fix,
 * merges nothing, and `doctor` names both gaps; a fine-grained token with the documented permissions passes doctor
 * and the whole flow.
 */
type Scenario =
  'approvals' | 'secret-team' | 'under-privileged' | 'protection' | 'rate-limit' | 'fine-grained';

/**
 * One running promobot on one GitHub double, with `scenarios` run in order. Each world brings its own Prometheus,
 * whose imported history ends at start: the gates of a world older than a few minutes find no data.
 */
function world(name: string, scenarios: ReadonlySet<Scenario>) {
  describe(name, () => {
    let world: GitHubWorld;
    let deploy: TempRepo;
    let home: string;
    let github: GitHubDouble;
    let promobot: PromobotUnderTest | undefined;
    let botLogin = 'promobot';
    let pushes = 0;

    async function startBot(login: string) {
      promobot = await world.restartPromobot(login);
      botLogin = world.bot;
    }

    beforeAll(async () => {
      world = await startGitHubWorld({
        name: 'least-gh',
        policy: POLICY,
        // docs/ACCESS.md: a classic token with repo and read:org (the double's default scopes), write on the
        // deploy repo; an org member who sees the approvers' team (visible to the org), not in it. An org owner
        // registers the hook: promobot's least privilege cannot (hooks need repo admin).
        access: { promobot: 'write', carol: 'write', 'release-lead': 'write' },
        orgMembers: { owner: 'admin', promobot: 'member' },
        teams: { sre: { members: ['carol'], privacy: 'closed' } },
        prometheus: {
          families: chatFamilies(
            SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
          ),
        },
      });
      ({ deploy, home, github, promobot } = world);
    }, 120_000);

    // Closing drains the jobs in flight, as SIGTERM does: one may be waiting up to a minute for a PR's lock or a
    // rate limit's end, so the hook gets longer than the default minute.
    afterAll(async () => {
      await world?.close();
    }, 180_000);

    /** Pushes `tag` to Harbor and waits for its gated prod PR. */
    async function gatedProdPr(tag: string) {
      const push = await fetch(`${promobot!.app.baseUrl}/webhooks/harbor`, {
        method: 'POST',
        headers: harborHeaders(),
        body: withOwnDigest(harborPushWithTags(tag), tag, pushes++),
      });
      expect(push.status).toBe(202);
      return eventually(`the prod PR of ${tag}`, () =>
        github
          .pulls(REPO)
          .find(
            (p) =>
              p.state === 'open' &&
              p.head === 'promobot/prod/alpine' &&
              parsePromotionMeta(p.body)?.tag === tag,
          ),
      );
    }

    const merged = (number: number) => (github.pull(REPO, number)?.merged ? true : undefined);

    /** The bot's comments on PR `number`, read as a person would (the double's API, an owner's token). */
    async function commentsOf(number: number): Promise<{ login: string; body: string }[]> {
      const response = await fetch(`${github.url}/repos/${REPO}/issues/${number}/comments?per_page=100`, {
        headers: { authorization: `token ${world.tokens.owner ?? ''}` },
      });
      const list = (await response.json()) as { user: { login: string }; body: string }[];
      return list.map((c) => ({ login: c.user.login, body: c.body }));
    }

    function doctor() {
      const io = testIo({
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        REDIS_URL: world.redis.url,
        PROMOBOT_POLICIES: join(home, 'policies'),
        GITHUB_API_URL: github.url,
        GITHUB_TOKEN: world.tokens[botLogin] ?? '',
        GITHUB_WEBHOOK_SECRET: TEST_SECRETS.github,
        PROMOBOT_PUBLIC_URL: promobot!.app.baseUrl,
        PROMETHEUS_URL: world.prometheus!.url,
      });
      return runCli(['doctor'], io).then((code) => ({ code, out: io.out() }));
    }

    if (scenarios.has('approvals'))
      it("merges on a team approver's /approve, then on a login approver's, and doctor proves both look-ups", async () => {
        const first = await gatedProdPr('1111111aaaaaaa');
        await github.comment(REPO, first.number, 'carol', '/approve');
        await eventually('the merge approved by the team member', () => merged(first.number), 90_000);
        expect(
          git(deploy.bare, 'log', '-1', '--format=%B', github.pull(REPO, first.number)!.mergeCommitSha!),
        ).toContain('Promobot-Approved-By: carol');

        const second = await gatedProdPr('2222222bbbbbbb');
        await github.comment(REPO, second.number, 'release-lead', '/approve');
        await eventually('the merge approved by release-lead', () => merged(second.number), 90_000);

        const { out } = await doctor();
        expect(out).toMatch(/\[ok\] +bootcamp\/notes-deploy: read another user's permission/);
        expect(out).toMatch(/\[ok\] +bootcamp\/notes-deploy: read the members of team:bootcamp\/sre/);
        expect(out).not.toMatch(/\[FAIL\] .*bootcamp\/notes-deploy/);
      }, 180_000);

    if (scenarios.has('secret-team'))
      it('answers a team approver as promobot\'s setup when the team is secret to it, never "not in the team"', async () => {
        github.setTeamPrivacy('bootcamp', 'sre', 'secret');
        try {
          const pr = await gatedProdPr('3333333ccccccc');
          await github.comment(REPO, pr.number, 'carol', '/approve');
          const reply = await eventually('the explanatory reply', async () =>
            (await commentsOf(pr.number)).find(
              (c) => c.login === botLogin && c.body.startsWith('@carol promobot could not decide'),
            ),
          );
          expect(reply.body).toContain('GitHub does not show team bootcamp/sre to promobot');
          expect(reply.body).toContain('not your rights');
          expect(reply.body).toContain('privacy "closed"');
          const all = (await commentsOf(pr.number)).map((c) => c.body).join('\n');
          expect(all).not.toMatch(/not in team/i);
          const metrics = await (await fetch(`${promobot!.app.baseUrl}/metrics`)).text();
          expect(metrics).toMatch(/promobot_command_errors_total\{reason="read-org-teams"\} 1/);
          expect(github.pull(REPO, pr.number)).toMatchObject({ state: 'open', merged: false });

          // Made visible to the organization again, the same command typed again merges.
          github.setTeamPrivacy('bootcamp', 'sre', 'closed');
          await github.comment(REPO, pr.number, 'carol', '/approve');
          await eventually('the merge after the fix', () => merged(pr.number), 90_000);
        } finally {
          github.setTeamPrivacy('bootcamp', 'sre', 'closed');
        }
      }, 180_000);

    if (scenarios.has('protection'))
      it("reports in the PR a merge GitHub's branch protection refuses, with GitHub's reason", async () => {
        const pr = await gatedProdPr('4444444ddddddd');
        github.protectBranch(REPO, 'main', { requiredApprovingReviews: 1, enforceAdmins: true });
        try {
          await github.comment(REPO, pr.number, 'carol', '/approve');
          const report = await eventually('the refusal in the PR', async () =>
            (await commentsOf(pr.number)).find(
              (c) => c.login === botLogin && c.body.includes('refused to merge it'),
            ),
          );
          expect(report.body).toContain(
            'GitHub refused to merge it: “blocked by branch protection: At least 1 approving review is required by reviewers with write access.”',
          );
          expect(github.pull(REPO, pr.number)).toMatchObject({ merged: false });
          // A person's approving review meets the rule; promobot merges at the next change to the PR.
          await github.review(REPO, pr.number, 'release-lead', 'APPROVED', 'ok');
          await eventually('the merge after the review', () => merged(pr.number), 90_000);
          expect(
            (await commentsOf(pr.number)).filter((c) => c.body.includes('refused to merge it')),
          ).toHaveLength(1);
        } finally {
          github.protectBranch(REPO, 'main', null);
        }
      }, 180_000);

    if (scenarios.has('rate-limit'))
      it('waits out a 403 primary rate limit and completes the flow', async () => {
        const pr = await gatedProdPr('5555555eeeeeee');
        // promobot's token is spent for the next 3 s: every call answers 403 with x-ratelimit-remaining: 0.
        github.limitRate(botLogin, { remaining: 0, resetInSeconds: 3, status: 403 });
        await github.comment(REPO, pr.number, 'carol', '/approve');
        await eventually('the merge after the limit', () => merged(pr.number), 90_000);
        expect(github.requests.some((r) => r.status === 403)).toBe(true);
        const all = (await commentsOf(pr.number)).map((c) => c.body).join('\n');
        expect(all).not.toContain('could not decide');
      }, 180_000);

    if (scenarios.has('under-privileged'))
      it("answers an under-privileged bot's /approve with the fix, merges nothing, and doctor names both gaps", async () => {
        const pr = await gatedProdPr('6666666fffffff');
        // Below the documented least privilege: read on the deploy repo, and the approvers' team secret to it.
        github.setAccess(REPO, botLogin, 'read');
        github.setTeamPrivacy('bootcamp', 'sre', 'secret');
        try {
          await github.comment(REPO, pr.number, 'carol', '/approve');
          const reply = await eventually(
            'the explanatory reply',
            async () =>
              (await commentsOf(pr.number)).find(
                (c) => c.login === botLogin && c.body.startsWith('@carol promobot could not decide'),
              ),
            5_000 + 45_000,
          );
          expect(reply.body).toContain(
            "GitHub does not let promobot read @carol's permission on bootcamp/notes-deploy",
          );
          expect(reply.body).toContain('not your rights');
          expect(reply.body).toContain("give promobot's account the Write role");
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          expect(github.pull(REPO, pr.number)).toMatchObject({ state: 'open', merged: false });

          const { code, out } = await doctor();
          expect(code).toBe(1);
          expect(out).toMatch(
            /\[FAIL\] bootcamp\/notes-deploy: read another user's permission: .*\[missing: read-permission\]/,
          );
          expect(out).toMatch(
            /\[FAIL\] bootcamp\/notes-deploy: read the members of team:bootcamp\/sre: .*\[missing: read-org-teams\]/,
          );
        } finally {
          github.setAccess(REPO, botLogin, 'write');
          github.setTeamPrivacy('bootcamp', 'sre', 'closed');
        }
        const fixed = await doctor();
        expect(fixed.out).not.toMatch(/\[FAIL\] bootcamp\/notes-deploy/);
        await github.comment(REPO, pr.number, 'carol', '/approve');
        await eventually('the merge after the fix', () => merged(pr.number), 90_000);
      }, 180_000);

    if (scenarios.has('fine-grained'))
      it('passes doctor and the whole flow with a fine-grained token holding the documented permissions', async () => {
        const fine = github.addUser('promobot-fine', {
          fineGrained: { owner: 'bootcamp', permissions: DOCUMENTED_FINE },
        });
        github.setAccess(REPO, 'promobot-fine', 'write');
        github.addOrgMember('bootcamp', 'promobot-fine');
        world.tokens['promobot-fine'] = fine.token;
        await startBot('promobot-fine');

        const { out } = await doctor();
        expect(out).not.toMatch(/\[FAIL\] .*bootcamp\/notes-deploy/);
        expect(out).toMatch(/\[ok\] +bootcamp\/notes-deploy token: .*fine-grained/);
        expect(out).toMatch(/\[ok\] +bootcamp\/notes-deploy: read the members of team:bootcamp\/sre/);

        const pr = await gatedProdPr('7777777aaaaaaa');
        expect(github.pull(REPO, pr.number)?.author.login).toBe('promobot-fine');
        await github.comment(REPO, pr.number, 'carol', '/approve');
        await eventually('the merge with the fine-grained token', () => merged(pr.number), 90_000);

        await github.flush();
        expect(github.violations).toEqual([]);
        expect(github.answerProblems).toEqual([]);
      }, 180_000);
  });
}

world('approvals on a GitHub that applies its access rules', new Set(['approvals', 'secret-team']));
// A world of its own, as the fine-grained token's below: a third scenario in one world outlived its Prometheus
// history on a loaded machine (see `world`).
world('an under-privileged bot', new Set(['under-privileged']));
world(
  "GitHub's refusals promobot meets: branch protection and rate limits",
  new Set(['protection', 'rate-limit']),
);
// A world of its own: after the two above, on a loaded machine, its Prometheus history would have aged out of the
// gates' window (see `world`).
world('a fine-grained token with the documented permissions', new Set(['fine-grained']));
