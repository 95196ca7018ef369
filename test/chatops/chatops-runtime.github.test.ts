import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { conversation, REPO, startHarness, type Harness } from './runtime-harness.js';

/**
 * The ChatOps runtime on the GitHub double, for what only GitHub does: GitHub Apps comment as accounts GitHub marks
 * `type: Bot` (Gitea has no such accounts), and an edited comment is handed over as GitHub's `issue_comment` body
 * with action `edited` (the double does not model comment edits; Gitea's file edits through its API). Everything
 * both hosts share is in test/chatops/chatops-runtime.contract.test.ts.
 */

let redisServer: RedisServer;
let h: Harness;

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness('github', redisServer);
}, 30_000);

afterEach(() => {
  expect(h.double.violations.splice(0)).toEqual([]);
  expect(h.double.answerProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

describe('chatops runtime on GitHub', () => {
  it("ignores /approve in an edited comment and from a GitHub App's account", async () => {
    const { statusState } = conversation(h);
    const { number } = await h.openPromotion('notes');
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
    // No answer, no status comment, nothing counted.
    expect((await h.botComments(number)).map((c) => c.body)).toEqual([]);
    expect(await statusState(number)).toBeNull();
    expect(await h.redis.exists(`test:chatops:github:${REPO.fullName}:${number}:state`)).toBe(0);
  });
});
