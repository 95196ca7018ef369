import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors/index.js';
import type { ImagePushed } from '../../src/events/index.js';
import {
  createDeployRepo,
  createPendingChanges,
  parseTrailers,
  type DeployRepo,
} from '../../src/git/index.js';
import { createLogger } from '../../src/logger/index.js';
import { PromotionPolicy } from '../../src/policy/index.js';
import { EnvironmentChange } from '../../src/promotion/apply-image-changes.js';
import { handleImagePushed, type ImagePushedDeps } from '../../src/promotion/handle-image-pushed.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const IMAGE = 'harbor.example.com/bootcamp/chat-ui';
const OLD = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const NEW = '3f9c2ab5e0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5';

const deployment = (tag: string) => `# chat-ui in {{env}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-ui
spec:
  template:
    spec:
      containers:
        - name: chat-ui
          image: "${IMAGE}:${tag}" # pinned by promobot
        - name: sidecar
          image: harbor.example.com/bootcamp/chat-ui-worker:${tag}
`;

const policy = PromotionPolicy.parse({
  apiVersion: 'promobot.dev/v1alpha1',
  kind: 'PromotionPolicy',
  metadata: { name: 'chat' },
  spec: {
    deployRepo: { scm: 'gitea', repo: 'bootcamp/notes-deploy' },
    apps: [{ name: 'chat-ui', image: IMAGE }],
    environments: [
      { name: 'dev', path: '{{app}}/dev', update: 'commit' },
      { name: 'staging', path: '{{app}}/staging', update: 'pull-request', from: 'dev' },
    ],
  },
});

function pushed(tag: string, occurredAt = '2026-11-21T10:00:00Z'): ImagePushed {
  return {
    type: 'ImagePushed',
    source: 'harbor',
    registry: 'harbor.example.com',
    project: 'bootcamp',
    repository: 'bootcamp/chat-ui',
    tag,
    occurredAt,
  };
}

describe('promotion/handleImagePushed()', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let remote: TempRepo;
  let dataDir: string;
  let repo: DeployRepo;
  let reconciles: string[];
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await redisServer.close();
  });
  beforeEach(async () => {
    await redis.flushall();
    remote?.cleanup();
    remote = createTempRepo({
      'chat-ui/dev/deployment.yaml': deployment(OLD).replace('{{env}}', 'dev'),
      'chat-ui/staging/deployment.yaml': deployment(OLD).replace('{{env}}', 'staging'),
    });
    dataDir = mkdtempSync(join(tmpdir(), 'promobot-data-'));
    repo = createDeployRepo(
      {
        url: remote.bare,
        branch: 'main',
        dataDir,
        author: { name: 'promobot', email: 'promobot@example.test' },
      },
      { redis, logger, baseEnv: { PATH: process.env.PATH ?? '', HOME: dataDir } },
    );
    reconciles = [];
    return () => rmSync(dataDir, { recursive: true, force: true });
  });

  const deps = (): ImagePushedDeps => ({
    policies: () => [policy],
    deployRepoFor: () => repo,
    pendingFor: (r) => createPendingChanges({ redis, repo: r.key, schema: EnvironmentChange, logger }),
    recordPush: async () => undefined,
    requestReconcile: async (p, app, reason) => {
      reconciles.push(`${p}/${app}: ${reason}`);
    },
  });

  it('lands the tag in the entry environment as one commit with the trailers, changing only that value', async () => {
    const outcome = await handleImagePushed(pushed(NEW), 'delivery-1', logger, deps());
    expect(outcome.status).toBe('landed');
    remote.pull();
    const diff = git(remote.work, 'diff', 'HEAD~1', 'HEAD', '--unified=0');
    expect(diff.split('\n').filter((l) => /^[-+] /.test(l))).toEqual([
      `-          image: "${IMAGE}:${OLD}" # pinned by promobot`,
      `+          image: "${IMAGE}:${NEW}" # pinned by promobot`,
    ]);
    const message = git(remote.work, 'log', '-1', '--format=%B');
    expect(message.split('\n')[0]).toBe('promote(chat-ui): dev 1a2b3c4 → 3f9c2ab');
    expect(parseTrailers(message)).toMatchObject({
      'Promobot-App': 'chat-ui',
      'Promobot-Environment': 'dev',
      'Promobot-Tag': NEW,
      'Promobot-Event': 'delivery-1',
    });
    expect(reconciles).toEqual(['chat/chat-ui: entry environment updated to ' + NEW]);
  });

  it('makes no commit when the tag is already there, and none for the same push twice', async () => {
    await handleImagePushed(pushed(NEW), 'delivery-1', logger, deps());
    const before = remote.log();
    await handleImagePushed(pushed(NEW), 'delivery-1', logger, deps());
    expect(remote.log()).toEqual(before);
  });

  it('never lets an older push overwrite a newer one that already landed', async () => {
    await handleImagePushed(pushed(NEW, '2026-11-21T10:00:00Z'), 'd-new', logger, deps());
    const outcome = await handleImagePushed(
      pushed('abcdef1', '2026-11-21T09:00:00Z'),
      'd-old',
      logger,
      deps(),
    );
    expect(outcome.status).toBe('stale');
    remote.pull();
    expect(git(remote.work, 'show', 'HEAD:chat-ui/dev/deployment.yaml')).toContain(`:${NEW}"`);
  });

  it.each([
    ['latest', 'latest'],
    ['a path escape', '../x'],
    ['a space', 'a b'],
    ['a shell substitution', '$(x)'],
    ['a YAML breaker', '3f9c2ab"\n  evil: true'],
    ['a 10 KB tag', 'x'.repeat(10_000)],
  ])('refuses %s as a tag with a reason and leaves the repo untouched', async (_label, tag) => {
    const before = remote.log('%H');
    await expect(handleImagePushed(pushed(tag), 'd', logger, deps())).rejects.toBeInstanceOf(PermanentError);
    expect(remote.log('%H')).toEqual(before);
    expect(await redis.keys('*pending*')).toEqual([]);
  });

  it('lands a burst of 40 apps as one commit per app, each with its own clean trailers', async () => {
    const apps = Array.from({ length: 40 }, (_, i) => `app-${String(i).padStart(2, '0')}`);
    const burstPolicy = PromotionPolicy.parse({
      ...policy,
      spec: {
        ...policy.spec,
        apps: apps.map((name) => ({ name, image: `harbor.example.com/bootcamp/${name}` })),
      },
    });
    remote.commit(
      Object.fromEntries(
        apps.map((app) => [
          `${app}/dev/deployment.yaml`,
          `image: harbor.example.com/bootcamp/${app}:${OLD}\n`,
        ]),
      ),
    );
    const before = remote.log('%H').length;
    const tagOf = (i: number) => `${String(i).padStart(2, '0')}${NEW.slice(2)}`;
    // At once, so their changes coalesce: 40 tags of 40 hex digits would not fit in one trailer line.
    await Promise.all(
      apps.map((app, i) =>
        handleImagePushed({ ...pushed(tagOf(i)), repository: `bootcamp/${app}` }, `d-${app}`, logger, {
          ...deps(),
          policies: () => [burstPolicy],
        }),
      ),
    );
    const commits = remote.log('%H').slice(0, remote.log('%H').length - before);
    expect(commits).toHaveLength(40);
    const seen = commits.map((commit) => {
      const trailers = parseTrailers(git(remote.bare, 'log', '-1', '--format=%B', commit));
      const files = git(remote.bare, 'diff-tree', '--no-commit-id', '--name-only', '-r', commit);
      expect(files).toBe(`${trailers['Promobot-App']}/dev/deployment.yaml`);
      return `${trailers['Promobot-App']} ${trailers['Promobot-Environment']} ${trailers['Promobot-Tag']}`;
    });
    expect(seen.sort()).toEqual(apps.map((app, i) => `${app} dev ${tagOf(i)}`));
    // Written by the bot like any single commit, and each one a plain child of the one before.
    expect(
      new Set(commits.map((c) => git(remote.bare, 'log', '-1', '--format=%an <%ae> %cn <%ce>', c))),
    ).toEqual(new Set(['promobot <promobot@example.test> promobot <promobot@example.test>']));
    expect(git(remote.bare, 'rev-list', '--min-parents=2', '--count', 'main')).toBe('0');
    // The working copy is left clean at the pushed tip: a later single push builds on every one of them.
    await handleImagePushed(pushed(NEW), 'd-after', logger, deps());
    remote.pull();
    for (const [i, app] of apps.entries()) {
      expect(git(remote.work, 'show', `HEAD:${app}/dev/deployment.yaml`)).toContain(tagOf(i));
    }
  });

  it('ignores an image no policy promotes', async () => {
    const outcome = await handleImagePushed(
      { ...pushed(NEW), repository: 'bootcamp/other' },
      'd',
      logger,
      deps(),
    );
    expect(outcome.status).toBe('no-app');
  });
});
