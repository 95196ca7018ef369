import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors/index.js';
import { readStatusComment } from '../../src/promotion/pull-request-state/index.js';
import { withoutSecrets } from '../../src/chatops/runtime/answer-failure.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { REPO, startHarness, type Harness } from './runtime-harness.js';

/**
 * Every command gets one honest answer: when handling a comment ends in a permanent error that is not promobot's
 * missing access (a token the host no longer accepts, a 404), the person is told promobot could not act and why,
 * in the comment's one reply, and the job ends; a transient error is retried without a word.
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

/** The delivery of comment `id`, taken off the double without handing it to the runtime. */
async function deliveryOf(id: number): Promise<Harness['double']['deliveries'][number]> {
  await h.double.flush();
  const found = h.double.deliveries.find(
    (d) => (JSON.parse(d.body) as { comment?: { id?: number } }).comment?.id === id,
  );
  if (!found) throw new Error(`no delivery of comment ${String(id)}`);
  return found;
}

async function repliesTo(number: number, commentId: number) {
  return (await h.botComments(number)).filter((c) =>
    c.body.includes(`promobot:reply-to ${String(commentId)} `),
  );
}

async function approvers(number: number) {
  const status = (await h.botComments(number)).find((c) => c.body.includes('promobot:chatops-status'));
  const state = status ? readStatusComment(status.body) : null;
  return (state?.approvals ?? []).map((a) => a.by);
}

describe('a command whose handling fails for good', () => {
  it('is answered once with why when the host refuses the token, and the job ends', async () => {
    const { number } = await h.openPromotion('chat-ui');
    const errors = h.commandErrors.length;
    const approve = await h.double.comment(REPO.fullName, number, 'release-lead', '/approve');
    const delivery = await deliveryOf(approve.id);
    h.double.failNext({
      method: 'GET',
      path: new RegExp(`/pulls/${String(number)}$`),
      status: 401,
    });
    const failed = await h.dispatch(delivery).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(PermanentError);
    const [reply, ...more] = await repliesTo(number, approve.id);
    expect(more).toEqual([]);
    expect(reply?.body).toContain(
      `@release-lead promobot could not act on your \`/approve\`: Gitea answered 401 on GET /repos/${REPO.fullName}/pulls/${String(number)}`,
    );
    expect(reply?.body.startsWith('@release-lead ')).toBe(true);
    expect(reply?.body).toContain('**Fix (for whoever runs promobot):** Gitea did not accept the token');
    expect(reply?.body).toContain('write the command again in a new comment');
    expect(reply?.body).not.toContain(h.tokens.promobot ?? 'no token');
    expect(h.commandErrors.slice(errors)).toEqual(['permanent']);
    expect(await approvers(number)).toEqual([]);

    // Delivered again (the sender's retry): the comment is done, no second answer.
    await h.dispatch(delivery);
    expect(await repliesTo(number, approve.id)).toHaveLength(1);
  });

  it('adds the failure to a reply already posted, instead of a second reply', async () => {
    const { number } = await h.openPromotion('chat-api');
    const status = await h.double.comment(REPO.fullName, number, 'release-lead', '/approve\n/status');
    const delivery = await deliveryOf(status.id);
    // The reply is posted; then the host refuses the approval status on the head (a repo gone private, say).
    h.double.failNext({ method: 'POST', path: '/statuses/', status: 404 });
    await expect(h.dispatch(delivery)).rejects.toBeInstanceOf(PermanentError);
    const [reply, ...more] = await repliesTo(number, status.id);
    expect(more).toEqual([]);
    expect(reply?.body).toContain('**Merge**');
    expect(reply?.body).toMatch(
      /promobot could not act on your `\/approve`, `\/status`: Gitea answered 404 on POST/,
    );
    expect(reply?.body.endsWith(`<!-- promobot:reply-to ${String(status.id)} -->`)).toBe(true);
  });

  it('retries a transient failure without a word, and then acts', async () => {
    const { number } = await h.openPromotion('search');
    const approve = await h.double.comment(REPO.fullName, number, 'release-lead', '/approve');
    const delivery = await deliveryOf(approve.id);
    h.double.failNext({
      method: 'GET',
      path: new RegExp(`/pulls/${String(number)}$`),
      status: 503,
      times: 50,
    });
    await expect(h.dispatch(delivery)).rejects.toBeInstanceOf(TransientError);
    expect(await repliesTo(number, approve.id)).toEqual([]);
    // The host is back: the faults the client's own retries did not use up are used up by plain reads.
    for (let i = 0; i < 50; i += 1) {
      const read = await fetch(`${h.double.url}/api/v1/repos/${REPO.fullName}/pulls/${String(number)}`, {
        headers: { authorization: `token ${h.tokens.promobot ?? ''}` },
      });
      if (read.status !== 503) break;
    }
    // The job's next attempt.
    await h.dispatch(delivery);
    expect(await approvers(number)).toEqual(['release-lead']);
    expect(await repliesTo(number, approve.id)).toEqual([]);
  });
});

describe('chatops/withoutSecrets()', () => {
  it('takes out bearer values, token parameters and URL user information', () => {
    expect(
      withoutSecrets(
        'GET https://bot:hunter2@git.example/x?access_token=abc123def&page=2 said Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload',
      ),
    ).toBe(
      'GET https://[redacted]@git.example/x?access_token=[redacted]&page=2 said Authorization: Bearer [redacted]',
    );
    expect(withoutSecrets('Gitea answered 404 on GET /repos/a/b/pulls/3: not found')).toBe(
      'Gitea answered 404 on GET /repos/a/b/pulls/3: not found',
    );
  });
});
