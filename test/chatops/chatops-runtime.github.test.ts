import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_STATUS_CONTEXT, readStatusComment } from '../../src/promotion/pull-request-state/index.js';
import type { CommentCreated } from '../../src/events/index.js';
import { normalizeGitHub } from '../../src/hosts/github/normalize.js';
import type { GitHubDouble } from '../doubles/github/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { REPO, logger, policyFor, startHarness, type Harness } from './runtime-harness.js';

/**
 * The same ChatOps runtime on the GitHub double: GitHub's `issue_comment` and `pull_request_review` bodies,
 * permissions and team memberships asked of the real GitHub ScmHost.
 */

let redisServer: RedisServer;
let h: Harness;

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness('github', redisServer);
  // The least-privilege bot on GitHub: a member of the organization, with the approvers' team `closed` (visible
  // to org members); a secret team would hide its members from the bot.
  const github = h.double as unknown as GitHubDouble;
  github.addOrgMember('bootcamp', 'promobot');
  github.setTeamPrivacy('bootcamp', 'sre', 'closed');
}, 30_000);

afterEach(() => {
  expect(h.double.violations.splice(0)).toEqual([]);
  expect(h.double.answerProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

async function say(number: number, login: string, body: string) {
  const comment = await h.double.comment(REPO.fullName, number, login, body);
  await h.pump();
  return comment;
}

async function statusState(number: number) {
  const status = (await h.botComments(number)).find((c) => c.body.includes('promobot:chatops-status'));
  return status ? readStatusComment(status.body) : null;
}

async function approvers(number: number) {
  const state = await statusState(number);
  const head = state?.candidate?.headSha;
  return (state?.approvals ?? []).filter((a) => a.headSha === head).map((a) => a.by);
}

async function replies(number: number) {
  return (await h.botComments(number)).filter((c) => !c.body.includes('promobot:chatops-status'));
}

describe('chatops runtime on GitHub', () => {
  it('counts /approve by an approver and sets "1 of 2 approvals" on the head', async () => {
    const { number, headSha } = await h.openPromotion('chat-ui', 'alice');
    await say(number, 'release-lead', '/approve');
    expect(await approvers(number)).toEqual(['release-lead']);
    const statuses = await h.host.listCommitStatuses(REPO, headSha);
    expect(statuses.find((s) => s.context === APPROVAL_STATUS_CONTEXT)).toMatchObject({
      state: 'pending',
      description: '1 of 2 approvals',
    });
  });

  it('refuses the requester and a user without access, saying why, without effect', async () => {
    const { number } = await h.openPromotion('chat-api', 'alice');
    await say(number, 'alice', '/approve');
    await say(number, 'mallory', '/approve');
    expect(await approvers(number)).toEqual([]);
    const bodies = (await replies(number)).map((c) => c.body);
    expect(bodies[0]).toContain('@alice asked for this promotion and cannot approve it');
    expect(bodies[1]).toContain(
      '@mallory has no access to bootcamp/notes-deploy; /approve needs write permission',
    );
  });

  it('ignores /approve in a code block, after ">", in an edited comment and from a bot', async () => {
    const { number } = await h.openPromotion('notes');
    await say(number, 'release-lead', '```\n/approve\n```');
    await say(number, 'carol', '> /approve');
    await say(number, 'promobot', '/approve');
    await h.double.comment(REPO.fullName, number, 'dave', 'looks fine');
    const [created] = await h.pump();
    if (!created) throw new Error('no delivery');
    type Payload = { action: string; comment: { body: string; user: { login: string; type: string } } };
    const edited = JSON.parse(created.body) as Payload;
    edited.action = 'edited';
    edited.comment.body = '/approve';
    await h.dispatch({ ...created, body: JSON.stringify(edited) });
    // A GitHub App's comment, as GitHub marks it.
    const byApp = JSON.parse(created.body) as Payload;
    byApp.comment.body = '/approve';
    byApp.comment.user = { ...byApp.comment.user, login: 'renovate[bot]', type: 'Bot' };
    await h.dispatch({ ...created, body: JSON.stringify(byApp) });
    expect((await h.botComments(number)).map((c) => c.body)).toEqual(['/approve']);
    expect(await statusState(number)).toBeNull();
    expect(await h.redis.exists(`test:chatops:github:${REPO.fullName}:${number}:state`)).toBe(0);
  });

  it('acts once on a comment delivered twice', async () => {
    const { number } = await h.openPromotion('billing');
    await h.double.comment(REPO.fullName, number, 'carol', '/approve');
    const [delivery] = await h.pump();
    if (!delivery) throw new Error('no delivery');
    await h.dispatch(delivery);
    expect(await approvers(number)).toEqual(['carol']);
    expect((await statusState(number))?.audit.filter((e) => e.action === '/approve')).toHaveLength(1);
  });

  it('keeps a held promotion unready through approvals and gate success until /unhold', async () => {
    const { number } = await h.openPromotion('auth');
    await say(number, 'dave', '/hold');
    await say(number, 'release-lead', '/approve');
    await h.double.review(REPO.fullName, number, 'carol', 'APPROVED');
    await h.pump();
    h.gates = 'success';
    try {
      expect(await h.readiness(number)).toEqual({ ready: false, why: 'held by @dave' });
      await say(number, 'dave', '/unhold');
      expect(await h.readiness(number)).toEqual({ ready: true, why: 'approved by @release-lead, @carol' });
    } finally {
      h.gates = 'none';
    }
  });

  it('dismisses earlier approvals when a new candidate is pushed to the PR', async () => {
    const { number } = await h.openPromotion('gateway');
    await say(number, 'release-lead', '/approve');
    const head = await h.pushCandidate('gateway', '4d5e6f7');
    await h.runtime.onCandidate('github', REPO, number, head, '4d5e6f7');
    expect(await approvers(number)).toEqual([]);
  });

  it('takes /promote from a comment on an issue of the deploy repo, and nothing else there', async () => {
    const { number } = await h.openPromotion('docs');
    await h.double.comment(REPO.fullName, number, 'dave', '/approve\n/promote prod');
    await h.double.flush();
    const delivery = h.double.deliveries.at(-1);
    if (!delivery) throw new Error('no delivery');
    const normalized = normalizeGitHub(delivery.headers, JSON.parse(delivery.body));
    if (!('events' in normalized)) throw new Error(normalized.ignored);
    const comment = normalized.events[0] as CommentCreated;
    // The normalizer passes PR comments only; the same comment as if on an issue.
    const before = h.reconciles.length;
    await h.runtime.onComment({ ...comment, isPullRequest: false }, logger);
    expect(h.reconciles.slice(before).map((r) => r.reason)).toEqual(
      h.reconciles.slice(before).map(() => '/promote prod by @dave'),
    );
    expect(h.reconciles.length - before).toBe(policyFor('github').spec.apps.length);
    const reply = (await replies(number)).at(-1)?.body;
    expect(reply).toContain('`/promote prod`: promotion into prod requested');
    expect(reply).not.toContain('/approve');
    // The same comment delivered as on the PR is the same comment: already handled.
    await h.pump();
    expect(await statusState(number)).toBeNull();
  });
});
