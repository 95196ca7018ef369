import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CommentCreated, ScmKind } from '../../src/events/index.js';
import { APPROVAL_STATUS_CONTEXT } from '../../src/promotion/pull-request-state/index.js';
import type { GitHubDouble } from '../doubles/github/index.js';
import { git } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { conversation, logger, policyFor, REPO, startHarness, type Harness } from './runtime-harness.js';

/**
 * The behaviours of the ChatOps runtime every code host keeps, run once per host on its strict double: comments and
 * reviews typed in the double's UI arrive as the host's webhook bodies, are normalized as in production and acted on
 * through the host's real ScmHost and a real Redis. What truly differs between hosts (how an edited comment reaches
 * promobot, GitHub's App accounts) stays in test/chatops/chatops-runtime.{gitea,github}.test.ts.
 */

const HOSTS: { kind: ScmKind; start(redis: RedisServer): Promise<Harness> }[] = [
  { kind: 'gitea', start: (redis) => startHarness('gitea', redis) },
  {
    kind: 'github',
    async start(redis) {
      const h = await startHarness('github', redis);
      // The least-privilege bot on GitHub: a member of the organization, with the approvers' team `closed`
      // (visible to org members); a secret team would hide its members from the bot.
      const github = h.double as unknown as GitHubDouble;
      github.addOrgMember('bootcamp', 'promobot');
      github.setTeamPrivacy('bootcamp', 'sre', 'closed');
      return h;
    },
  },
];

describe.each(HOSTS)('chatops runtime contract: $kind', ({ kind, start }) => {
  let redisServer: RedisServer;
  let h: Harness;
  let say: ReturnType<typeof conversation>['say'];
  let statusState: ReturnType<typeof conversation>['statusState'];
  let approvers: ReturnType<typeof conversation>['approvers'];
  let replies: ReturnType<typeof conversation>['replies'];

  beforeAll(async () => {
    redisServer = await startRedis();
    h = await start(redisServer);
    ({ say, statusState, approvers, replies } = conversation(h));
  }, 30_000);

  afterEach(() => {
    expect(h.double.violations.splice(0)).toEqual([]);
    expect(h.double.answerProblems.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await h?.close();
    await redisServer?.close();
  });

  it('counts /approve by an approver, shows "1 of 2 approvals" and asks promotion to reconcile', async () => {
    const { number, headSha } = await h.openPromotion('chat-ui', 'alice');
    await say(number, 'release-lead', 'LGTM\n/approve');
    expect(await approvers(number)).toEqual(['release-lead']);
    const statuses = await h.host.listCommitStatuses(REPO, headSha);
    expect(statuses.find((s) => s.context === APPROVAL_STATUS_CONTEXT)).toMatchObject({
      state: 'pending',
      description: '1 of 2 approvals',
    });
    expect(h.reconciles.at(-1)).toEqual({ app: 'chat-ui', reason: 'chatops: comment by @release-lead' });
    // Accepted: the reaction and the status comment say it; no reply clutters the PR.
    expect(await replies(number)).toEqual([]);
  });

  it("refuses /approve by the promotion's requester, replying with the reason, and counts nothing", async () => {
    const { number } = await h.openPromotion('chat-api', 'alice');
    await say(number, 'alice', '/approve');
    expect(await approvers(number)).toEqual([]);
    const [reply] = await replies(number);
    expect(reply?.body).toContain(
      '@alice asked for this promotion and cannot approve it: the policy of prod does not let authors approve',
    );
    const audit = (await statusState(number))?.audit.at(-1);
    expect(audit).toMatchObject({ actor: 'alice', action: '/approve', outcome: 'refused' });
    // A user without access, on the same PR: refused too, in the next reply.
    await say(number, 'mallory', '/approve');
    expect(await approvers(number)).toEqual([]);
    expect((await replies(number))[1]?.body).toContain(
      '@mallory has no access to bootcamp/notes-deploy; /approve needs write permission',
    );
  });

  it('refuses /approve by a user without access to the deploy repo, with no effect', async () => {
    const { number } = await h.openPromotion('search');
    const before = h.reconciles.length;
    await say(number, 'mallory', '/approve');
    expect(await approvers(number)).toEqual([]);
    expect((await replies(number))[0]?.body).toContain(
      '@mallory has no access to bootcamp/notes-deploy; /approve needs write permission',
    );
    expect(h.reconciles.length).toBe(before);
  });

  it('ignores /approve in a code block, after ">" and from the bot itself', async () => {
    const { number } = await h.openPromotion('notes');
    await say(number, 'release-lead', '```\n/approve\n```');
    await say(number, 'carol', '> /approve');
    await say(number, 'promobot', '/approve');
    // Only the bot's own "/approve" is there: no answer, no status comment, nothing counted.
    expect((await h.botComments(number)).map((c) => c.body)).toEqual(['/approve']);
    expect(await statusState(number)).toBeNull();
    expect(await h.redis.exists(`test:chatops:${kind}:${REPO.fullName}:${number}:state`)).toBe(0);
  });

  it('acts once on a comment delivered twice', async () => {
    const { number } = await h.openPromotion('billing');
    await h.double.comment(REPO.fullName, number, 'carol', '/approve');
    const [delivery] = await h.pump();
    if (!delivery) throw new Error('no delivery');
    await h.dispatch(delivery);
    expect(await approvers(number)).toEqual(['carol']);
    const audit = (await statusState(number))?.audit.filter((e) => e.action === '/approve');
    expect(audit).toHaveLength(1);
  });

  it('acts once on a comment delivered twice at the same moment, and counts two approvers commenting together', async () => {
    const { number } = await h.openPromotion('ledger');
    await h.double.comment(REPO.fullName, number, 'release-lead', '/approve');
    await h.double.comment(REPO.fullName, number, 'dave', '/approve');
    await h.double.flush();
    const [first, second] = h.double.deliveries.slice(-2);
    if (!first || !second) throw new Error('no deliveries');
    await Promise.all([h.dispatch(first), h.dispatch(first), h.dispatch(second)]);
    await h.pump();
    expect((await approvers(number)).sort()).toEqual(['dave', 'release-lead']);
    expect((await statusState(number))?.audit.filter((e) => e.action === '/approve')).toHaveLength(2);
  });

  it('answers a comment whose reply failed when its delivery is retried, without acting twice', async () => {
    const { number } = await h.openPromotion('shop');
    const comment = await h.double.comment(REPO.fullName, number, 'alice', '/approve cancel\n/hold');
    await h.double.flush();
    const delivery = h.double.deliveries.at(-1);
    if (!delivery) throw new Error('no delivery');
    // Every try the host's client makes fails: the reply is not written and the delivery fails.
    h.double.failNext({ method: 'POST', path: /\/issues\/\d+\/comments$/, status: 500, times: h.attempts });
    await expect(h.dispatch(delivery)).rejects.toThrow();
    await h.dispatch(delivery);
    await h.pump();
    expect((await replies(number)).map((c) => c.body)).toEqual([
      `@alice\n- ℹ️ \`/approve cancel\`: @alice had not approved this candidate\n- ✅ \`/hold\`: @alice held the promotion; nothing merges until /unhold\n<!-- promobot:reply-to ${String(comment.id)} -->`,
    ]);
    const audit = (await statusState(number))?.audit.filter((e) => e.action === '/hold');
    expect(audit).toHaveLength(1);
  });

  it('keeps a held promotion unready through approvals and gate success until /unhold, even after Redis is lost', async () => {
    const { number } = await h.openPromotion('auth');
    await say(number, 'dave', '/hold waiting for INC-7');
    await say(number, 'release-lead', '/approve');
    await say(number, 'carol', '/approve');
    h.gates = 'success';
    try {
      expect(await h.readiness(number)).toEqual({ ready: false, why: 'held by @dave: waiting for INC-7' });
      await h.redis.flushall();
      h.restart();
      expect(await h.readiness(number)).toEqual({ ready: false, why: 'held by @dave: waiting for INC-7' });
      await say(number, 'carol', '/unhold');
      expect(await h.readiness(number)).toEqual({ ready: true, why: 'approved by @release-lead, @carol' });
      const pr = await h.host.getPullRequest(REPO, number);
      const trailers = await h.runtime.mergeTrailers(pr);
      expect(trailers).toBe('Promobot-Approved-By: release-lead\nPromobot-Approved-By: carol');
      // As promotion merges: the trailers end the merge commit, then the PR says who approved.
      const merged = await h.host.mergePullRequest(REPO, number, {
        method: 'merge',
        headSha: pr.headSha,
        message: `promote auth\n\n${trailers}`,
      });
      expect(merged).toMatchObject({ merged: true });
      expect(git(h.deployBare, 'log', '-1', '--format=%B', 'main')).toContain(trailers);
      await h.runtime.onMerged(kind, REPO, number);
      await h.runtime.onMerged(kind, REPO, number);
      const said = (await replies(number)).filter((c) => c.body.startsWith('Merged'));
      expect(said.map((c) => c.body)).toEqual([
        'Merged `3f9c2ab` into prod.\n- **Approved by**: @release-lead, @carol\n- **Gates**: ✅ success: promobot/gates',
      ]);
      expect((await statusState(number))?.audit.at(-1)).toMatchObject({ action: 'merge', outcome: 'done' });
    } finally {
      h.gates = 'none';
    }
  });

  it('keeps a held promotion unready through an /approve and an approving review until /unhold', async () => {
    const { number } = await h.openPromotion('mail');
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
    await say(number, 'carol', '/approve');
    h.gates = 'success';
    try {
      expect(await h.readiness(number)).toMatchObject({ ready: true });
      const head = await h.pushCandidate('gateway', '4d5e6f7');
      await h.runtime.onCandidate(kind, REPO, number, head, '4d5e6f7');
      expect(await approvers(number)).toEqual([]);
      expect(await h.readiness(number)).toEqual({ ready: false, why: '0 of 2 approvals so far' });
      const statuses = await h.host.listCommitStatuses(REPO, head);
      expect(statuses.find((s) => s.context === APPROVAL_STATUS_CONTEXT)).toMatchObject({
        state: 'pending',
        description: '0 of 2 approvals',
      });
    } finally {
      h.gates = 'none';
    }
  });

  it('counts an approving review by a member of an approver team', async () => {
    const { number } = await h.openPromotion('docs');
    await h.double.review(REPO.fullName, number, 'carol', 'APPROVED');
    await h.pump();
    const state = await statusState(number);
    expect(state?.approvals.map((a) => [a.by, a.via])).toEqual([['carol', 'review']]);
  });

  it('does not count an approving review of a head that is no longer the candidate', async () => {
    const { number } = await h.openPromotion('forum');
    await h.double.review(REPO.fullName, number, 'carol', 'APPROVED');
    await h.double.flush();
    const review = h.double.deliveries.at(-1);
    if (!review) throw new Error('no delivery');
    const head = await h.pushCandidate('forum', '4d5e6f7');
    await h.runtime.onCandidate(kind, REPO, number, head, '4d5e6f7');
    // Delivered late, after the push (pushCandidate hands it over), and once more after onCandidate.
    await h.dispatch(review);
    expect(await approvers(number)).toEqual([]);
    const reviewed = (await statusState(number))?.audit.filter((e) => e.action === 'review approved');
    expect(reviewed?.at(-1)).toMatchObject({ actor: 'carol', outcome: 'unchanged' });
    expect(reviewed?.at(-1)?.detail).toMatch(/^the review approved [0-9a-f]{7}, not the current head/);
  });

  it('takes /promote from a comment on an issue of the deploy repo, and nothing else there', async () => {
    const { number } = await h.openPromotion('status');
    await h.double.comment(REPO.fullName, number, 'dave', '/approve\n/promote prod');
    await h.double.flush();
    const delivery = h.double.deliveries.at(-1);
    if (!delivery) throw new Error('no delivery');
    const comment = h.normalize(delivery).find((e): e is CommentCreated => e.type === 'CommentCreated');
    if (!comment) throw new Error('no comment in the delivery');
    // The same comment as if on an issue.
    const before = h.reconciles.length;
    await h.runtime.onComment({ ...comment, isPullRequest: false }, logger);
    expect(h.reconciles.slice(before).map((r) => r.reason)).toEqual(
      h.reconciles.slice(before).map(() => '/promote prod by @dave'),
    );
    expect(h.reconciles.length - before).toBe(policyFor(kind).spec.apps.length);
    const reply = (await replies(number)).at(-1)?.body;
    expect(reply).toContain('`/promote prod`: promotion into prod requested');
    expect(reply).not.toContain('/approve');
    // The same comment delivered as on the PR is the same comment: already handled.
    await h.pump();
    expect(await statusState(number)).toBeNull();
  });

  it('hands /rollback to promotion and replies with its answer', async () => {
    const { number } = await h.openPromotion('wiki');
    await say(number, 'dave', '/rollback to 1a2b3c4');
    expect(h.rollbacks.at(-1)).toEqual({ app: 'wiki', env: 'prod', toTag: '1a2b3c4' });
    const rollback = await h.host.findOpenPullRequest(REPO, 'promobot/rollback/prod/wiki', 'main');
    expect((await replies(number))[0]?.body).toContain(
      `rollback PR #${rollback?.number} returns wiki in prod to 1a2b3c4`,
    );
  });

  it('answers /rollback once, with its final outcome: the PR and its link, or the refusal and what would work', async () => {
    // The wiki PR of the test above when it ran (one PR per app), else a new one.
    const number =
      (await h.host.findOpenPullRequest(REPO, 'promobot/prod/wiki', 'main'))?.number ??
      (await h.openPromotion('wiki')).number;
    h.rollbackAnswer = { tag: '0b0b0b0' };
    await say(number, 'dave', '/rollback prod');
    const rollback = await h.openRollback('wiki', '0b0b0b0');
    h.rollbackAnswer = {
      refused:
        "fffffff never ran in prod (by the deploy repo's history): roll back only to a tag that did: 1a2b3c4",
    };
    await say(number, 'dave', '/rollback prod to fffffff');
    // The test above may have commented on this PR too: its two newest replies are these commands' answers.
    // Each reply ends with the hidden line naming the comment it answers (one reply per comment, even after a crash).
    const bodies = (await replies(number)).map((c) =>
      c.body.replace(/\n<!-- promobot:reply-to \d+ -->$/, ''),
    );
    expect(bodies.slice(-2)).toEqual([
      `@dave\n- ✅ \`/rollback prod\`: rollback PR #${rollback.number} returns wiki in prod to 0b0b0b0: ${rollback.url}`,
      "@dave\n- ❌ `/rollback prod to fffffff`: fffffff never ran in prod (by the deploy repo's history): roll back only to a tag that did: 1a2b3c4",
    ]);
    h.rollbackAnswer = { tag: '1a2b3c4' };
  });

  it('records a /rollback typed on the rollback PR itself with that comment, under the lock it already holds', async () => {
    const rollback = await h.openRollback('docs', '1a2b3c4');
    await say(rollback.number, 'carol', '/rollback prod');
    expect((await replies(rollback.number)).at(-1)?.body).toContain(
      `rollback PR #${rollback.number} returns docs`,
    );
    expect((await statusState(rollback.number))?.requesters.map((r) => r.by) ?? []).toEqual(['carol']);
  });

  // Last in this suite: it empties Redis.
  it('records the /rollback requester on the rollback PR before answering: a Redis loss then cannot lose it', async () => {
    const number =
      (await h.host.findOpenPullRequest(REPO, 'promobot/prod/wiki', 'main'))?.number ??
      (await h.openPromotion('wiki')).number;
    await say(number, 'carol', '/rollback prod');
    const rollback = await h.openRollback('wiki', '1a2b3c4');
    expect((await replies(number)).at(-1)?.body).toContain(`rollback PR #${rollback.number} returns wiki`);

    // Redis is lost once the comment is answered, before any reconcile moved the waiting requester onto the PR.
    await h.redis.flushall();
    h.restart();

    expect((await statusState(rollback.number))?.requesters.map((r) => r.by) ?? []).toContain('carol');
    // So the requester of the rollback still cannot approve it.
    await say(rollback.number, 'carol', '/approve');
    expect(await approvers(rollback.number)).toEqual([]);
  });
});
