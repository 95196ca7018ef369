import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planCommand } from '../../src/cli/plan.js';
import type { ImagePushed } from '../../src/events/index.js';
import { createDeployRepo, createPendingChanges, parseTrailers } from '../../src/git/index.js';
import { createLogger } from '../../src/logger/index.js';
import { loadPolicies } from '../../src/policy/index.js';
import { EnvironmentChange } from '../../src/promotion/candidate-commit.js';
import { handleImagePushed } from '../../src/promotion/handle-image-pushed.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const REGISTRY = 'harbor.example.com';
const IMAGE = `${REGISTRY}/bootcamp/chat-ui`;
const API = `${REGISTRY}/bootcamp/chat-api`;
const OLD = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const NEW = '3f9c2ab5e0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5';
const DIGEST = `sha256:${'e'.repeat(64)}`;

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - name: chat-ui
      image: ${IMAGE}
      helmTagPaths: [frontTag]
    - name: chat-api
      image: ${API}
      pinDigest: true
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: qa, path: 'envs/qa/{{app}}', update: commit }
    - { name: prod, path: '{{app}}/prod', update: pull-request, from: dev }
`;

/** One file per updater kind, spread over the two entry environments (and one the push must not touch). */
const TREE = {
  // manifest
  'chat-ui/dev/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-ui
spec:
  template:
    spec:
      containers:
        - name: web
          image: "${IMAGE}:${OLD}" # pinned by promobot
        - name: worker
          image: ${IMAGE}-worker:${OLD}
`,
  // kustomize, CRLF
  'chat-ui/dev/kustomization.yaml': `resources:\r\n  - deployment.yaml\r\nimages:\r\n  - name: chat-ui\r\n    newName: ${IMAGE}\r\n    newTag: ${OLD}\r\n`,
  // helm: an image block and a tag path from policy
  'envs/qa/chat-ui/values.yaml': `chatUi:
  image:
    registry: ${REGISTRY}
    repository: bootcamp/chat-ui
    tag: "${OLD}"
frontTag: ${OLD}
`,
  // marker
  'envs/qa/chat-ui/app.yaml': `spec:
  source:
    helm:
      parameters:
        - name: front.version
          value: "${OLD}"   # promobot: chat-ui
`,
  'chat-ui/prod/deployment.yaml': `image: ${IMAGE}:${OLD}\n`,
  'chat-api/dev/deployment.yaml': `image: ${API}:${OLD}@sha256:${'a'.repeat(64)}\n`,
  'envs/qa/chat-api/deployment.yaml': `image: ${API}:${OLD}@sha256:${'a'.repeat(64)}\n`,
};

describe('cli/plan against the worker', () => {
  const logger = createLogger({ level: 'silent' });
  let redisServer: RedisServer;
  let redis: Redis;
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await redisServer.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    await redis.flushall();
  });

  function setUp(): { remote: TempRepo; policies: string; dataDir: string } {
    const remote = createTempRepo(TREE);
    const policies = mkdtempSync(join(tmpdir(), 'promobot-policies-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'promobot-data-'));
    cleanups.push(
      () => remote.cleanup(),
      () => rmSync(policies, { recursive: true, force: true }),
      () => rmSync(dataDir, { recursive: true, force: true }),
    );
    mkdirSync(policies, { recursive: true });
    writeFileSync(join(policies, 'chat.yaml'), POLICY);
    return { remote, policies, dataDir };
  }

  /** `promobot plan` over the checked-out tree, with the worker's policy folder. */
  async function plan(remote: TempRepo, policies: string, image: string) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await planCommand.run(['--repo', remote.work, '--policy', policies, '--image', image], {
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
      env: {},
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  /** The worker's handling of the same push, through the deploy repo and Redis; returns the commits it pushed. */
  async function push(remote: TempRepo, policies: string, dataDir: string, event: ImagePushed) {
    const set = await loadPolicies(policies);
    expect(set.problems).toEqual([]);
    const repo = createDeployRepo(
      {
        url: remote.bare,
        branch: 'main',
        dataDir,
        author: { name: 'promobot', email: 'promobot@example.test' },
      },
      { redis, logger, baseEnv: { PATH: process.env.PATH ?? '', HOME: dataDir } },
    );
    const before = git(remote.bare, 'rev-parse', 'main');
    await handleImagePushed(event, 'delivery-1', logger, {
      policies: () => set.policies,
      deployRepoFor: () => repo,
      pendingFor: (r) => createPendingChanges({ redis, repo: r.key, schema: EnvironmentChange, logger }),
      recordPush: async () => undefined,
      requestReconcile: async () => undefined,
    });
    const range = `${before}..main`;
    const commits = git(remote.bare, 'rev-list', '--reverse', range);
    return {
      before,
      commits: commits === '' ? [] : commits.split('\n'),
      files: git(remote.bare, 'diff', '--name-only', before, 'main').split('\n').filter(Boolean),
    };
  }

  const event = (repository: string, tag: string, digest?: string): ImagePushed => ({
    type: 'ImagePushed',
    source: 'harbor',
    registry: REGISTRY,
    project: 'bootcamp',
    repository,
    tag,
    ...(digest !== undefined ? { digest } : {}),
    occurredAt: '2026-11-21T10:00:00Z',
  });

  it.each([
    {
      name: 'manifest, kustomize, helm and marker files in two entry environments',
      repository: 'bootcamp/chat-ui',
      image: `${IMAGE}:${NEW}`,
      digest: undefined,
      files: [
        'chat-ui/dev/deployment.yaml',
        'chat-ui/dev/kustomization.yaml',
        'envs/qa/chat-ui/app.yaml',
        'envs/qa/chat-ui/values.yaml',
      ],
      commits: ['chat-ui dev', 'chat-ui qa'],
    },
    {
      name: 'an app that pins digests',
      repository: 'bootcamp/chat-api',
      image: `${API}:${NEW}@${DIGEST}`,
      digest: DIGEST,
      files: ['chat-api/dev/deployment.yaml', 'envs/qa/chat-api/deployment.yaml'],
      commits: ['chat-api dev', 'chat-api qa'],
    },
  ])('plan prints exactly what the worker commits for the same push: $name', async (c) => {
    const { remote, policies, dataDir } = setUp();
    const planned = await plan(remote, policies, c.image);
    expect(planned).toMatchObject({ code: 0, stderr: '' });
    expect(git(remote.work, 'status', '--porcelain')).toBe('');

    const landed = await push(remote, policies, dataDir, event(c.repository, NEW, c.digest));
    expect(landed.files).toEqual(c.files);
    expect(
      landed.commits.map((commit) => {
        const trailers = parseTrailers(git(remote.bare, 'log', '-1', '--format=%B', commit));
        return `${trailers['Promobot-App']} ${trailers['Promobot-Environment']}`;
      }),
    ).toEqual(c.commits);

    // The plan's diff, applied to the tree it was made from, gives the pushed tree byte for byte.
    execFileSync('git', ['apply', '--whitespace=nowarn', '-'], {
      cwd: remote.work,
      env: GIT_TEST_ENV,
      input: planned.stdout,
    });
    const planFiles = git(remote.work, 'status', '--porcelain')
      .split('\n')
      .map((line) => line.slice(3));
    expect(planFiles).toEqual(c.files);
    for (const file of Object.keys(TREE)) {
      expect(readFileSync(join(remote.work, file), 'utf8'), file).toBe(
        execFileSync('git', ['show', `main:${file}`], {
          cwd: remote.bare,
          env: GIT_TEST_ENV,
          encoding: 'utf8',
        }),
      );
    }
  });

  it('plan says no change where the worker commits nothing', async () => {
    const { remote, policies, dataDir } = setUp();
    const planned = await plan(remote, policies, `${IMAGE}:${OLD}`);
    expect(planned).toMatchObject({
      code: 0,
      stderr: '',
      stdout:
        'no change: dev (chat-ui/dev), qa (envs/qa/chat-ui) already runs ' +
        `${IMAGE}:${OLD} (5 references)\n`,
    });
    const landed = await push(remote, policies, dataDir, event('bootcamp/chat-ui', OLD));
    expect(landed.commits).toEqual([]);
  });
});
