import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployRepo, createPendingChanges } from '../../src/git/index.js';
import { createLogger } from '../../src/logger/index.js';
import { PromotionPolicy } from '../../src/policy/index.js';
import {
  EnvironmentChange,
  createDeployRepoPort,
  handleImagePushed,
  parsePromotionMeta,
} from '../../src/promotion/index.js';
import { openRollback } from '../../src/promotion/open-rollback.js';
import { createScmHost } from '../../src/hosts/index.js';
import { repoRef } from '../../src/scm/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const IMAGE = 'harbor.example.com/bootcamp/chat-ui';
const REPO = 'bootcamp/notes-deploy';
const policy = PromotionPolicy.parse({
  apiVersion: 'promobot.dev/v1alpha1',
  kind: 'PromotionPolicy',
  metadata: { name: 'chat' },
  spec: {
    deployRepo: { scm: 'gitea', repo: REPO },
    apps: [{ name: 'chat-ui', image: IMAGE }],
    environments: [{ name: 'dev', path: '{{app}}/dev', update: 'commit' }],
  },
});
const app = policy.spec.apps[0]!;

describe('promotion/openRollback()', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let remote: TempRepo;
  let gitea: GiteaDouble;
  let dataDir: string;
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url);
    remote = createTempRepo({ 'chat-ui/dev/app.yaml': `image: ${IMAGE}:aaaaaaa\n` });
    dataDir = mkdtempSync(join(tmpdir(), 'promobot-rollback-'));
    gitea = await startGiteaDouble();
    gitea.addUser('promobot', { token: 'bot-token' });
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: remote.bare,
      access: { promobot: 'admin' },
    });
  });
  afterAll(async () => {
    redis.disconnect();
    await gitea.close();
    await redisServer.close();
    remote.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens a PR back to the tag before the current one, found in the environment history', async () => {
    const repo = createDeployRepo(
      {
        url: remote.bare,
        branch: 'main',
        dataDir,
        author: { name: 'promobot', email: 'promobot@example.test' },
      },
      { redis, logger, baseEnv: { PATH: process.env.PATH ?? '', HOME: dataDir } },
    );
    const deps = {
      policies: () => [policy],
      deployRepoFor: () => repo,
      pendingFor: () => createPendingChanges({ redis, repo: repo.key, schema: EnvironmentChange, logger }),
      recordPush: async () => undefined,
      requestReconcile: async () => undefined,
    };
    const push = (tag: string, at: string) =>
      handleImagePushed(
        {
          type: 'ImagePushed',
          source: 'harbor',
          registry: 'harbor.example.com',
          project: 'bootcamp',
          repository: 'bootcamp/chat-ui',
          tag,
          occurredAt: at,
        },
        `d-${tag}`,
        logger,
        deps,
      );
    await push('bbbbbbb', '2026-11-21T10:00:00Z');
    await push('ccccccc', '2026-11-21T11:00:00Z');

    const scm = createScmHost('gitea', { baseUrl: gitea.url, token: 'bot-token', logger });
    const port = createDeployRepoPort(repo, 'promobot@example.test', logger);
    const result = await openRollback(
      { policyName: 'chat', spec: policy.spec, app, env: 'dev' },
      { scm, repo: repoRef(REPO), deployRepo: port, logger, botLogin: 'promobot' },
    );
    expect('pr' in result).toBe(true);
    if (!('pr' in result)) return;
    expect(result.pr.headRef).toBe('promobot/rollback/dev/chat-ui');
    expect(parsePromotionMeta(result.pr.body)).toMatchObject({
      kind: 'rollback',
      env: 'dev',
      tag: 'bbbbbbb',
      previousTag: 'ccccccc',
    });
    expect(result.pr.title).toBe('roll back chat-ui to dev: ccccccc → bbbbbbb');
    await git(remote.work, 'fetch', '--quiet', 'origin');
    const diff = git(
      remote.work,
      'diff',
      'origin/main...origin/promobot/rollback/dev/chat-ui',
      '--unified=0',
    );
    expect(diff.split('\n').filter((l) => /^[-+] /.test(l) || /^[-+]image/.test(l))).toEqual([
      `-image: ${IMAGE}:ccccccc`,
      `+image: ${IMAGE}:bbbbbbb`,
    ]);

    // Asked again, it refreshes the same PR rather than opening a second.
    const again = await openRollback(
      { policyName: 'chat', spec: policy.spec, app, env: 'dev' },
      { scm, repo: repoRef(REPO), deployRepo: port, logger, botLogin: 'promobot' },
    );
    expect('pr' in again && again.pr.number).toBe(result.pr.number);
    expect(gitea.pulls(REPO).filter((p) => p.state === 'open')).toHaveLength(1);

    // The seed's tag, which no bot commit names, ran there too.
    const toSeed = await openRollback(
      { policyName: 'chat', spec: policy.spec, app, env: 'dev', toTag: 'aaaaaaa' },
      { scm, repo: repoRef(REPO), deployRepo: port, logger, botLogin: 'promobot' },
    );
    expect('pr' in toSeed && parsePromotionMeta(toSeed.pr.body)?.tag).toBe('aaaaaaa');

    // A tag that never ran there is refused with the reason and the tags that did.
    const refused = await openRollback(
      { policyName: 'chat', spec: policy.spec, app, env: 'dev', toTag: 'fffffff' },
      { scm, repo: repoRef(REPO), deployRepo: port, logger, botLogin: 'promobot' },
    );
    expect(refused).toEqual({
      refused:
        "fffffff never ran in dev (by the deploy repo's history): roll back only to a tag that did: bbbbbbb, aaaaaaa",
    });
    await gitea.flush();
    expect(gitea.violations).toEqual([]);

    // Someone else opens a PR from promobot's rollback branch (promobot's own was closed): promobot does not adopt
    // it, does not push to it, sets no status on it, and opens no second PR there.
    await scm.closePullRequest(repoRef(REPO), result.pr.number);
    gitea.addUser('mallory', { token: 'mallory-token' });
    gitea.setAccess(REPO, 'mallory', 'write');
    const branch = 'promobot/rollback/dev/chat-ui';
    const theirs = await gitea.openPullRequest(REPO, {
      author: 'mallory',
      head: branch,
      base: 'main',
      title: 'my rollback',
      body: 'mine',
    });
    await git(remote.work, 'fetch', '--quiet', 'origin');
    const headBefore = git(remote.work, 'rev-parse', `origin/${branch}`);
    const statusesBefore = gitea.statuses(REPO, headBefore).length;

    const foreign = await openRollback(
      { policyName: 'chat', spec: policy.spec, app, env: 'dev' },
      { scm, repo: repoRef(REPO), deployRepo: port, logger, botLogin: 'promobot' },
    );

    expect(foreign).toEqual({
      refused: `someone else has a PR open on ${branch} (#${theirs.index}); promobot leaves it alone`,
    });
    await git(remote.work, 'fetch', '--quiet', 'origin');
    expect(git(remote.work, 'rev-parse', `origin/${branch}`)).toBe(headBefore);
    expect(gitea.pull(REPO, theirs.index)).toMatchObject({
      title: 'my rollback',
      body: 'mine',
      state: 'open',
    });
    expect(gitea.statuses(REPO, headBefore)).toHaveLength(statusesBefore);
    expect(gitea.pulls(REPO).filter((p) => p.state === 'open')).toHaveLength(1);
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 60_000);
});
