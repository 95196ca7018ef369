import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stopCommandsIn } from '../../src/chatops/stop-commands.js';
import type { CommentCreated } from '../../src/events/index.js';
import { createStopRuntime, type StopRepo } from '../../src/governance/stop-runtime.js';
import { redisKeys } from '../../src/redis/keys.js';
import type { Permission, RepoComment, ScmHost } from '../../src/scm/types.js';
import { logger, policyFor, REPO } from '../chatops/runtime-harness.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * The global stop's runtime on a real Redis, with a fake of the two host calls it makes (a permission look-up and
 * the repo's comment list): what a retry, a redelivery and an unreadable record do.
 */
let server: RedisServer;
let redis: Redis;
const PREFIX = 'stops-test';
const permissions: Record<string, Permission> = { alice: 'write', bob: 'write' };
let listed: RepoComment[] = [];
let listings = 0;
const scm = {
  getPermission: (_repo: unknown, login: string) => Promise.resolve(permissions[login] ?? 'none'),
  listRepoComments: () => {
    listings += 1;
    return Promise.resolve(listed);
  },
} as unknown as ScmHost;
const target: StopRepo = {
  scmKind: 'gitea',
  repo: REPO,
  policy: policyFor('gitea'),
  scm,
  botLogin: 'promobot',
};

const comment = (commentId: number, author: string, body: string): CommentCreated => ({
  type: 'CommentCreated',
  scm: 'gitea',
  repo: REPO,
  number: 7,
  isPullRequest: false,
  commentId,
  body,
  author,
  authorIsBot: false,
});
const run = (runtime: ReturnType<typeof createStopRuntime>, event: CommentCreated) =>
  runtime.handle(event, target, stopCommandsIn(event.body), '2026-12-07T12:00:00Z', logger);

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});
beforeEach(async () => {
  await redis.flushall();
  listed = [];
  listings = 0;
});

describe('the global stop runtime', () => {
  it('answers a retried /unhold as before and does not lift a stop written after it', async () => {
    const runtime = createStopRuntime({ redis, prefix: PREFIX, commandsIn: stopCommandsIn });
    await run(runtime, comment(1, 'alice', '/hold all incident 42'));
    const unhold = comment(2, 'alice', '/unhold all');
    const first = await run(runtime, unhold);
    expect(first.changed).toHaveLength(1);
    await run(runtime, comment(3, 'bob', '/hold all second incident'));

    // The /unhold's job runs again (its reply failed after the save, or the host redelivered it).
    const again = await run(runtime, unhold);
    expect(again.results.map((r) => r.result)).toEqual([{ outcome: 'done' }]);
    expect((await runtime.current(target, logger)).map((s) => [s.by, s.reason])).toEqual([
      ['bob', 'second incident'],
    ]);
    expect((await runtime.decide(target, 'chat-ui', 'prod', logger)).stopped).toBe(true);
  });

  it('replaces an unreadable record by the rebuild once, instead of rebuilding on every decision', async () => {
    const runtime = createStopRuntime({ redis, prefix: PREFIX, commandsIn: stopCommandsIn });
    await redis.set(redisKeys(PREFIX).globalStops('gitea', REPO.fullName), '{"stops": "not a list"}');
    listed = [
      {
        id: 5,
        number: 7,
        pullRequest: false,
        author: 'alice',
        body: '/hold env=prod freeze',
        createdAt: '2026-12-07T11:00:00Z',
        updatedAt: '2026-12-07T11:00:00Z',
      } as RepoComment,
    ];
    expect((await runtime.decide(target, 'chat-ui', 'prod', logger)).stopped).toBe(true);
    expect((await runtime.decide(target, 'chat-ui', 'prod', logger)).stopped).toBe(true);
    expect(listings).toBe(1);
  });
});
