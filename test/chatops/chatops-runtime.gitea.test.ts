import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { conversation, REPO, startHarness, type Harness } from './runtime-harness.js';

/**
 * The ChatOps runtime on the Gitea double, for what only Gitea does: a comment edited through Gitea's API reaches
 * promobot as an `issue_comment` delivery with action `edited` (the GitHub double does not model comment edits, so
 * its file hands over an edited body instead). Everything both hosts share is in
 * test/chatops/chatops-runtime.contract.test.ts.
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

describe('chatops runtime on Gitea', () => {
  it('ignores /approve in an edited comment', async () => {
    const { say, statusState } = conversation(h);
    const { number } = await h.openPromotion('notes');
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
    // No answer, no status comment, nothing counted.
    expect((await h.botComments(number)).map((c) => c.body)).toEqual([]);
    expect(await statusState(number)).toBeNull();
    expect(await h.redis.exists(`test:chatops:gitea:${REPO.fullName}:${number}:state`)).toBe(0);
  });
});
