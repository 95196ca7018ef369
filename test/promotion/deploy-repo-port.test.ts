import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployRepo } from '../../src/git/index.js';
import { createLogger } from '../../src/logger/index.js';
import { PromotionPolicy } from '../../src/policy/index.js';
import { createDeployRepoPort } from '../../src/promotion/index.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { PEOPLE_IMAGE, PEOPLE_PROD_RUNS, seedPeopleHistory } from '../support/people-history.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const policy = PromotionPolicy.parse({
  apiVersion: 'promobot.dev/v1alpha1',
  kind: 'PromotionPolicy',
  metadata: { name: 'chat' },
  spec: {
    deployRepo: { scm: 'gitea', repo: 'bootcamp/notes-deploy' },
    apps: [{ name: 'chat-ui', image: PEOPLE_IMAGE }],
    environments: [
      { name: 'dev', path: '{{app}}/dev', update: 'commit' },
      { name: 'prod', path: '{{app}}/prod', update: 'pull-request', from: 'dev' },
    ],
  },
});
const app = policy.spec.apps[0]!;

describe('promotion/createDeployRepoPort() on a repo people wrote', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let remote: TempRepo;
  let dataDir: string;
  let dates: Record<string, number>;

  beforeAll(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url);
    remote = createTempRepo({ 'README.md': 'deploy repo\n' });
    ({ dates } = seedPeopleHistory(remote));
    dataDir = mkdtempSync(join(tmpdir(), 'promobot-port-'));
  });
  afterAll(async () => {
    redis.disconnect();
    await redisServer.close();
    remote.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads what runs from the files and since when from the history, without trailers', async () => {
    const logger = createLogger({ level: 'silent' });
    const repo = createDeployRepo(
      {
        url: remote.bare,
        branch: 'main',
        dataDir,
        author: { name: 'promobot', email: 'promobot@example.test' },
      },
      { redis, logger, baseEnv: { PATH: process.env.PATH ?? '', HOME: dataDir } },
    );
    const port = createDeployRepoPort(repo, 'promobot@example.test', logger);
    const envs = [
      { name: 'dev', path: 'chat-ui/dev' },
      { name: 'prod', path: 'chat-ui/prod' },
    ];
    // dev went 0a0a0a0 → 1a2b3c4 in the last commit, as prod did (over Helm values and a marker).
    // The landing commit (for rollout verification) is the first-parent commit that brought the tag in.
    const last = git(remote.bare, 'rev-parse', 'main').trim();
    expect(await port.readRunning(app, envs)).toEqual({
      dev: { tag: '1a2b3c4', since: dates['1a2b3c4']! * 1000, commit: last },
      prod: { tag: '1a2b3c4', since: dates['1a2b3c4']! * 1000, commit: last },
    });
    const prod = await port.tagHistory(app, envs[1]!);
    expect(prod.map((r) => r.tag)).toEqual([...PEOPLE_PROD_RUNS]);
    expect(prod[0]).toMatchObject({ author: 'Frank <frank@example.test>', trailers: {} });
    expect((await port.tagHistory(app, envs[0]!)).map((r) => r.tag)).toEqual(['1a2b3c4', '0a0a0a0']);

    // Ancestry, for "does the revision Argo CD synced contain the landing commit".
    const parent = git(remote.bare, 'rev-parse', 'main~1').trim();
    expect(await port.contains(last, last)).toBe(true);
    expect(await port.contains(parent, last)).toBe(true);
    expect(await port.contains(last, parent)).toBe(false);
    expect(await port.contains(last, 'f'.repeat(40))).toBe(false);
    expect(await port.contains(last, 'main')).toBe(false);
  }, 60_000);
});
