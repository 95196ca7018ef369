import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVAL_STATUS_CONTEXT,
  readStatusComment,
  StoredPromotion,
} from '../../src/promotion/pull-request-state/index.js';
import { renderPullRequestBody } from '../../src/promotion/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { REPO, startHarness, type Harness } from './runtime-harness.js';

/**
 * Issue #13, case 6 and the merge-time membership check: what the status comment, the stored state and the merge
 * decision say after a new candidate, and after an approver leaves the approvers' team. The ChatOps runtime on the
 * Gitea double, with a real Redis.
 */

let redisServer: RedisServer;
let h: Harness;

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness('gitea', redisServer);
}, 30_000);

afterEach(() => {
  h.gates = 'none';
  expect(h.double.violations.splice(0)).toEqual([]);
  expect(h.double.answerProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

async function say(number: number, login: string, body: string) {
  await h.double.comment(REPO.fullName, number, login, body);
  await h.pump();
}

async function statusBody(number: number) {
  const found = (await h.botComments(number)).find((c) => c.body.startsWith('<!-- promobot:chatops-status'));
  return found?.body ?? '';
}

async function stored(number: number) {
  const raw = await h.redis.get(`test:chatops:gitea:${REPO.fullName}:${String(number)}:state`);
  return raw === null ? null : StoredPromotion.parse(JSON.parse(raw));
}

describe('a new candidate on the PR', () => {
  it('shows the new candidate and "0 of 2" in the status comment and the stored state', async () => {
    const { number } = await h.openPromotion('search');
    await say(number, 'release-lead', '/approve');
    expect(await statusBody(number)).toContain('1 of 2: @release-lead');
    // As reconcile does: the branch gets the new candidate, the PR body names it, then ChatOps hears of it.
    const head = await h.pushCandidate('search', '4d5e6f7');
    const pr = await h.host.getPullRequest(REPO, number);
    const meta = {
      v: 1 as const,
      policy: 'chat',
      app: 'search',
      env: 'prod',
      from: 'staging',
      tag: '4d5e6f7',
      previousTag: '1a2b3c4',
      kind: 'promotion' as const,
    };
    await h.host.updatePullRequest(REPO, pr.number, {
      body: renderPullRequestBody({ meta, image: 'registry.example/bootcamp/search' }),
    });
    await h.pump();
    await h.runtime.onCandidate('gitea', REPO, number, head, '4d5e6f7');
    const body = await statusBody(number);
    expect(body).toContain('`4d5e6f7`');
    expect(body).toContain('**Approvals**: 0 of 2');
    expect(readStatusComment(body)?.candidate?.headSha).toBe(head);
    expect((await stored(number))?.state.candidate).toMatchObject({ tag: '4d5e6f7', headSha: head });
    h.gates = 'success';
    expect(await h.readiness(number)).toEqual({ ready: false, why: '0 of 2 approvals so far' });
  });
});

describe('an approver who is no longer allowed', () => {
  it('stops counting at merge time, and the status comment and the approval status say so', async () => {
    const members = h.sreMembers;
    if (!members) throw new Error('the harness keeps the team only on Gitea');
    const { number, headSha } = await h.openPromotion('chat-api');
    await say(number, 'carol', '/approve');
    await say(number, 'dave', '/approve');
    h.gates = 'success';
    expect(await h.readiness(number)).toEqual({ ready: true, why: 'approved by @carol, @dave' });
    members.delete('carol');
    try {
      const readiness = await h.readiness(number);
      expect(readiness.ready).toBe(false);
      expect(readiness.why).toContain('1 of 2 approvals so far');
      expect(readiness.why).toContain(
        'the approval by @carol no longer counts: @carol is not in team bootcamp/sre',
      );
      // The next event writes it down for people.
      await say(number, 'dave', '/status');
      const body = await statusBody(number);
      expect(body).toContain('**Approvals**: 1 of 2: @dave');
      expect(body).toContain('⚠️ the approval by @carol no longer counts');
      const statuses = await h.host.listCommitStatuses(REPO, headSha);
      expect(statuses.find((s) => s.context === APPROVAL_STATUS_CONTEXT)).toMatchObject({
        state: 'pending',
        description: '1 of 2 approvals',
      });
      const pr = await h.host.getPullRequest(REPO, number);
      expect(await h.runtime.mergeTrailers(pr)).toBe('Promobot-Approved-By: dave');
    } finally {
      members.add('carol');
    }
    // Back in the team, the approval counts again: it was never taken out of the state.
    expect(await h.readiness(number)).toEqual({ ready: true, why: 'approved by @carol, @dave' });
  });
});
