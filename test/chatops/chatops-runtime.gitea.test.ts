import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_STATUS_CONTEXT, readStatusComment } from '../../src/promotion/pull-request-state/index.js';
import { git } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { REPO, startHarness, type Harness } from './runtime-harness.js';

/**
 * The ChatOps runtime on the Gitea double: comments and reviews typed in the double's UI arrive as Gitea's webhook
 * bodies, are normalized as in production and acted on through the real Gitea ScmHost and a real Redis.
 */

let redisServer: RedisServer;
let h: Harness;

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness('gitea', redisServer);
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

describe('chatops runtime on Gitea', () => {
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

  it('ignores /approve in a code block, after ">", in an edited comment and from the bot itself', async () => {
    const { number } = await h.openPromotion('notes');
    await say(number, 'release-lead', '```\n/approve\n```');
    await say(number, 'carol', '> /approve');
    await say(number, 'promobot', '/approve');
    const plain = await say(number, 'dave', 'looks fine');
    const edited = await fetch(`${h.double.url}/api/v1/repos/${REPO.fullName}/issues/comments/${plain.id}`, {
      method: 'PATCH',
      headers: { authorization: `token ${h.tokens.dave ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: '/approve' }),
    });
    expect(edited.status).toBe(200);
    const delivered = await h.pump();
    expect(delivered.map((d) => JSON.parse(d.body) as { action: string }).map((p) => p.action)).toEqual([
      'edited',
    ]);
    // Only the bot's own "/approve" is there: no answer, no status comment, nothing counted.
    expect((await h.botComments(number)).map((c) => c.body)).toEqual(['/approve']);
    expect(await statusState(number)).toBeNull();
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
    h.double.failNext({ method: 'POST', path: /\/issues\/\d+\/comments$/, status: 500, times: 3 });
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
      await h.runtime.onMerged('gitea', REPO, number);
      await h.runtime.onMerged('gitea', REPO, number);
      const said = (await replies(number)).filter((c) => c.body.startsWith('Merged'));
      expect(said.map((c) => c.body)).toEqual([
        'Merged `3f9c2ab` into prod.\n- **Approved by**: @release-lead, @carol\n- **Gates**: ✅ success: promobot/gates',
      ]);
      expect((await statusState(number))?.audit.at(-1)).toMatchObject({ action: 'merge', outcome: 'done' });
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
      await h.runtime.onCandidate('gitea', REPO, number, head, '4d5e6f7');
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
    await h.runtime.onCandidate('gitea', REPO, number, head, '4d5e6f7');
    // Delivered late, after the push (pushCandidate hands it over), and once more after onCandidate.
    await h.dispatch(review);
    expect(await approvers(number)).toEqual([]);
    const reviewed = (await statusState(number))?.audit.filter((e) => e.action === 'review approved');
    expect(reviewed?.at(-1)).toMatchObject({ actor: 'carol', outcome: 'unchanged' });
    expect(reviewed?.at(-1)?.detail).toMatch(/^the review approved [0-9a-f]{7}, not the current head/);
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

  // Last in this file: it empties Redis.
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
