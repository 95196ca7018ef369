import { afterAll, beforeAll, expect, it } from 'vitest';
import { readStatusComment } from '../../src/promotion/pull-request-state/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { REPO, startHarness, type Harness } from './runtime-harness.js';

let redisServer: RedisServer;
let h: Harness;
beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness('gitea', redisServer);
}, 30_000);
afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

const approvals = async (number: number) => {
  const status = (await h.botComments(number)).find((x) => x.body.includes('promobot:chatops-status'));
  const state = status ? readStatusComment(status.body) : null;
  return state?.approvals.map((a) => [a.by, a.headSha.slice(0, 7)]);
};

it('does not count an /approve written before a new candidate was pushed, and says so', async () => {
  const { number } = await h.openPromotion('forum');
  const c = await h.double.comment(REPO.fullName, number, 'release-lead', '/approve');
  await h.double.flush();
  const delivery = h.double.deliveries.find(
    (d) => (JSON.parse(d.body) as { comment?: { id?: number } }).comment?.id === c.id,
  );
  if (!delivery) throw new Error('no delivery');
  // promobot writes the new head now, after the comment; the comment's job runs late.
  const head = await h.pushCandidate('forum', '4d5e6f7', new Date());
  await h.runtime.onCandidate('gitea', REPO, number, head, '4d5e6f7');
  await h.dispatch(delivery);
  expect(await approvals(number)).toEqual([]);
  const reply = (await h.botComments(number)).find((x) =>
    x.body.includes(`promobot:reply-to ${String(c.id)} `),
  );
  expect(reply?.body).toContain(
    `the PR changed after your /approve (now at ${head.slice(0, 7)}); look at it and approve again`,
  );
});

it('counts two approvers commenting together after a new candidate was pushed', async () => {
  const { number } = await h.openPromotion('wiki');
  const head = await h.pushCandidate('wiki', '5e6f7a8');
  await h.runtime.onCandidate('gitea', REPO, number, head, '5e6f7a8');
  await h.double.comment(REPO.fullName, number, 'release-lead', '/approve');
  await h.double.comment(REPO.fullName, number, 'dave', '/approve');
  await h.double.flush();
  const [first, second] = h.double.deliveries.slice(-2);
  if (!first || !second) throw new Error('no deliveries');
  await Promise.all([h.dispatch(first), h.dispatch(second)]);
  await h.pump();
  expect((await approvals(number))?.sort()).toEqual([
    ['dave', head.slice(0, 7)],
    ['release-lead', head.slice(0, 7)],
  ]);
});
