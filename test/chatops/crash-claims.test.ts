import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCommentClaims } from '../../src/chatops/index.js';
import { readStatusComment, type PullRequestKey } from '../../src/promotion/pull-request-state/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { REPO, startHarness, type Harness } from './runtime-harness.js';

/**
 * Issue #13, case 8: a worker SIGKILLed while it handles a comment leaves the comment claimed. bullmq runs the same
 * job (same id) again once it notices the stall; that run must handle the comment: one effect, one reply. The
 * crash is reproduced by leaving Redis as the killed run left it (the claim held by its job, the state not saved).
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

const store = () => createCommentClaims(h.redis, 'test');
const keyOf = (number: number): PullRequestKey => ({ scm: 'gitea', repo: REPO.fullName, number });

async function approvers(number: number) {
  const status = (await h.botComments(number)).find((c) => c.body.startsWith('<!-- promobot:chatops-status'));
  const state = status ? readStatusComment(status.body) : null;
  return (state?.approvals ?? []).filter((a) => a.headSha === state?.candidate?.headSha).map((a) => a.by);
}

const replies = async (number: number) =>
  (await h.botComments(number)).filter((c) => !c.body.startsWith('<!-- promobot:chatops-status'));

/** A comment posted and delivered, but not yet handed to the runtime (a later `pump` hands it again, as a redelivery). */
async function delivered(number: number, login: string, body: string) {
  const comment = await h.double.comment(REPO.fullName, number, login, body);
  await h.double.flush();
  const delivery = h.double.deliveries.at(-1);
  if (!delivery) throw new Error('no delivery');
  return { comment, delivery };
}

describe('a comment whose worker was killed while handling it', () => {
  it('is handled by the re-run of the same job: the approval counts, and the reply is there', async () => {
    const { number } = await h.openPromotion('notes');
    const before = (await replies(number)).length;
    const { comment, delivery } = await delivered(number, 'release-lead', '/approve\n/status');
    // The killed run had claimed it, and died before anything else.
    expect(await store().claimComment(keyOf(number), comment.id, 'job-41')).toBe('claimed');
    await h.dispatch(delivery, 'job-41');
    expect(await approvers(number)).toEqual(['release-lead']);
    expect((await replies(number)).length).toBe(before + 1);
  });

  it('answers once when the killed run had already replied and updated the status comment', async () => {
    const { number } = await h.openPromotion('billing');
    const key = keyOf(number);
    const stateKey = `test:chatops:gitea:${REPO.fullName}:${String(number)}:state`;
    const saved = await h.redis.get(stateKey);
    const { comment, delivery } = await delivered(number, 'carol', '/approve\n/status');
    await h.dispatch(delivery, 'job-42');
    // SIGKILL after the answers, before the state was saved and the claim completed: Redis as it was then.
    if (saved === null) await h.redis.del(stateKey);
    else await h.redis.set(stateKey, saved);
    await store().releaseComment(key, comment.id);
    expect(await store().claimComment(key, comment.id, 'job-42')).toBe('claimed');
    const before = (await replies(number)).length;
    await h.dispatch(delivery, 'job-42');
    expect((await replies(number)).length).toBe(before);
    expect(await approvers(number)).toEqual(['carol']);
  });

  it('is not handled twice by another delivery of it while the claim is held', async () => {
    const { number } = await h.openPromotion('docs');
    const { comment, delivery } = await delivered(number, 'dave', '/approve');
    expect(await store().claimComment(keyOf(number), comment.id, 'job-43')).toBe('claimed');
    await h.dispatch(delivery, 'job-44');
    expect(await approvers(number)).toEqual([]);
    await h.dispatch(delivery, 'job-43');
    expect(await approvers(number)).toEqual(['dave']);
    await h.dispatch(delivery, 'job-43');
    expect(await approvers(number)).toEqual(['dave']);
  });
});
