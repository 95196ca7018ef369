import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger/index.js';
import { validatePolicyFiles, type PromotionPolicy } from '../../src/policy/index.js';
import { createArgoCdClient } from '../../src/hosts/argocd/index.js';
import {
  applicationsOf,
  createRolloutVerifier,
  describeRollout,
  renderRolloutComment,
  rolloutStatus,
  type RolloutVerifier,
} from '../../src/rollout/runtime/index.js';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/index.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const IMAGE = 'harbor.local/bootcamp/chat-ui';
const logger = createLogger({ level: 'silent' });

function policy(verify: string): PromotionPolicy {
  const { policies, problems } = validatePolicyFiles([
    {
      path: 'p.yaml',
      text: `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: chat-ui, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, verify: ${verify} }
    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, verify: ${verify} }
`,
    },
  ]);
  expect(problems).toEqual([]);
  return policies[0]!;
}

describe('rollout/createRolloutVerifier() against the Argo CD double, real Redis and git', () => {
  let server: RedisServer;
  let redis: Redis;
  let argocd: ArgoCdDouble;
  let token: string;
  let repo: TempRepo;
  let first: string;
  let landing: string;
  let prefix: string;
  let clock: number;
  let rollbacks: { env: string; evidence: string }[];
  let watches: { env: string; pr: number; mergeSha: string }[];
  let rechecks: number[];

  const contains = async (ancestor: string, descendant: string) => {
    try {
      git(repo.bare, 'merge-base', '--is-ancestor', ancestor, descendant);
      return true;
    } catch {
      return false;
    }
  };
  const verifier = (argocdUp = true): RolloutVerifier =>
    createRolloutVerifier({
      redis,
      prefix,
      logger,
      argocd: argocdUp ? createArgoCdClient({ url: argocd.url, token }) : null,
      prometheus: null,
      now: () => clock,
      rollback: async (_policy, _app, env, evidence) => {
        rollbacks.push({ env, evidence });
      },
      startWatch: async (_policy, _app, env, watch) => {
        watches.push({ env, ...watch });
      },
    });
  const check = (v: RolloutVerifier, p: PromotionPolicy, staging: string, stagingCommit: string) =>
    v.check({
      policy: 'chat',
      spec: p.spec,
      app: p.spec.apps[0]!,
      running: {
        dev: { tag: staging, commit: stagingCommit },
        staging: { tag: staging, commit: stagingCommit },
        prod: { tag: null, commit: null },
      },
      contains,
      scheduleRecheck: async (at) => {
        rechecks.push(at);
      },
      logger,
    });

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    argocd = await startArgoCdDouble();
    token = argocd.addToken(['default/*']);
    repo = createTempRepo({ 'chat-ui/staging/app.yaml': `image: ${IMAGE}:1a2b3c4\n` });
    first = git(repo.bare, 'rev-parse', 'main');
    landing = repo.commit({ 'chat-ui/staging/app.yaml': `image: ${IMAGE}:3f9c2ab\n` });
  });
  afterAll(async () => {
    redis.disconnect();
    await server.close();
    await argocd.close();
    repo.cleanup();
  });
  beforeEach(() => {
    prefix = `t${Math.random().toString(36).slice(2)}`;
    clock = 1_000_000;
    rollbacks = [];
    watches = [];
    rechecks = [];
    argocd.addApp({ name: 'chat-ui-staging', revision: first, images: [`${IMAGE}:1a2b3c4`] });
    argocd.onRefresh('chat-ui-staging', (app) => argocd.outOfSync(app.name, landing));
  });

  it('waits with the reason, backs off, refreshes only the first time, then verifies at that moment', async () => {
    const p = policy('{ provider: argocd }');
    const v = verifier();
    const waiting = await check(v, p, '3f9c2ab', landing);
    expect(waiting.get('staging')).toEqual({
      state: 'waiting',
      tag: '3f9c2ab',
      reason: `staging: Argo CD OutOfSync at ${landing.slice(0, 7)}, waiting for ${landing.slice(0, 7)}`,
    });
    expect(rechecks).toEqual([clock + 5_000]);
    expect(argocd.refreshes('chat-ui-staging')).toEqual(['normal']);

    // Before the backoff ends nothing is asked.
    const asked = argocd.requests.length;
    clock += 1_000;
    await check(v, p, '3f9c2ab', landing);
    expect(argocd.requests.length).toBe(asked);

    // A notification asks at once; the sync is there, so the candidate is verified now, not at the commit.
    argocd.synced('chat-ui-staging', landing, [`${IMAGE}:3f9c2ab`]);
    argocd.healthy('chat-ui-staging');
    await v.poke('chat', 'chat-ui', 'staging');
    const verified = await check(v, p, '3f9c2ab', landing);
    expect(verified.get('staging')).toEqual({ state: 'verified', tag: '3f9c2ab', verifiedAt: 1_001_000 });
    expect(argocd.refreshes('chat-ui-staging')).toEqual(['normal']);

    // Verified is final for this landing: no more calls.
    clock += 60_000;
    const calls = argocd.requests.length;
    await check(v, p, '3f9c2ab', landing);
    expect(argocd.requests.length).toBe(calls);
    expect(await v.describe('chat', 'chat-ui', 'staging')).toMatchObject({ state: 'verified' });
  });

  it('fails a Degraded rollout with the evidence, and asks for the rollback where the policy says so', async () => {
    const p = policy('{ provider: argocd, onFailure: rollback }');
    const v = verifier();
    argocd.synced('chat-ui-staging', landing, [`${IMAGE}:3f9c2ab`]);
    argocd.degraded('chat-ui-staging', 'progress deadline exceeded', {
      kind: 'Deployment',
      name: 'chat-ui',
      namespace: 'chat-staging',
      health: { status: 'Degraded', message: 'progress deadline exceeded' },
    });
    argocd.onRefresh('chat-ui-staging', undefined);
    const gates = await check(v, p, '3f9c2ab', landing);
    const gate = gates.get('staging');
    expect(gate).toMatchObject({ state: 'failed', tag: '3f9c2ab' });
    expect(gate?.state === 'failed' && gate.evidence).toMatchObject({
      healthMessage: 'progress deadline exceeded',
      resource: 'Deployment chat-staging/chat-ui: Degraded (progress deadline exceeded)',
    });
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]!.env).toBe('staging');
    expect(rollbacks[0]!.evidence).toContain('progress deadline exceeded');
    // Asked once: a later check neither asks Argo CD nor opens another rollback.
    await check(v, p, '3f9c2ab', landing);
    expect(rollbacks).toHaveLength(1);
  });

  it('times out when Argo CD cannot be asked, never passing', async () => {
    const p = policy('{ provider: argocd, timeout: 1m }');
    const v = verifier(false);
    const first = await check(v, p, '3f9c2ab', landing);
    expect(first.get('staging')).toMatchObject({ state: 'waiting' });
    expect((first.get('staging') as { reason: string }).reason).toContain(
      'ARGOCD_URL and ARGOCD_TOKEN are not set',
    );
    clock += 61_000;
    const last = await check(v, p, '3f9c2ab', landing);
    expect(last.get('staging')).toMatchObject({ state: 'failed' });
    expect((last.get('staging') as { reason: string }).reason).toMatch(/^staging: not verified within 1m: /);
    expect(rollbacks).toEqual([]);
  });

  it('starts a deferred post-merge watch once the environment is verified running the merge', async () => {
    const p = policy('{ provider: argocd }');
    const v = verifier();
    argocd.addApp({ name: 'chat-ui-prod', revision: landing, images: [`${IMAGE}:3f9c2ab`] });
    await v.deferWatch('chat', 'chat-ui', 'prod', { pr: 7, mergeSha: landing });
    await v.check({
      policy: 'chat',
      spec: p.spec,
      app: p.spec.apps[0]!,
      running: { prod: { tag: '3f9c2ab', commit: landing } },
      contains,
      scheduleRecheck: async () => undefined,
      logger,
    });
    expect(watches).toEqual([{ env: 'prod', pr: 7, mergeSha: landing }]);
  });

  it('starts over when the environment runs a new landing (a lost record is asked again, never trusted)', async () => {
    const p = policy('{ provider: argocd }');
    const v = verifier();
    argocd.synced('chat-ui-staging', landing, [`${IMAGE}:3f9c2ab`]);
    argocd.healthy('chat-ui-staging');
    argocd.onRefresh('chat-ui-staging', undefined);
    expect((await check(v, p, '3f9c2ab', landing)).get('staging')).toMatchObject({ state: 'verified' });
    await redis.del(`${prefix}:rollout:chat:chat-ui:staging`);
    clock += 10_000;
    expect((await check(v, p, '3f9c2ab', landing)).get('staging')).toEqual({
      state: 'verified',
      tag: '3f9c2ab',
      verifiedAt: 1_010_000,
    });
    // An edited record is not a record.
    await redis.set(`${prefix}:rollout:chat:chat-ui:staging`, '{"v":1,"state":"verified"}');
    clock += 10_000;
    expect((await check(v, p, '3f9c2ab', landing)).get('staging')).toMatchObject({ verifiedAt: 1_020_000 });
  });
});

describe('rollout/applicationsOf()', () => {
  it('routes a notification to each policy, app and environment that verifies through the Application', () => {
    const p = policy('{ provider: argocd, applications: ["{{app}}-{{env}}", "workers-{{env}}"] }');
    expect(applicationsOf([p], 'chat-ui-staging', 'argocd')).toEqual([
      { policy: 'chat', app: 'chat-ui', env: 'staging' },
    ]);
    expect(applicationsOf([p], 'workers-prod', undefined)).toEqual([
      { policy: 'chat', app: 'chat-ui', env: 'prod' },
    ]);
    expect(applicationsOf([p], 'chat-ui-dev', undefined)).toEqual([]);
    const namespaced = policy('{ provider: argocd, appNamespace: team-a }');
    expect(applicationsOf([namespaced], 'chat-ui-staging', 'argocd')).toEqual([]);
    expect(applicationsOf([namespaced], 'chat-ui-staging', 'team-a')).toHaveLength(1);
  });
});

describe('rollout/render-rollout', () => {
  it('says what the PR waits for, and shows Argo CD words as code', () => {
    const gate = {
      state: 'waiting',
      tag: '3f9c2ab',
      reason: 'staging: Argo CD OutOfSync at 1a2b3c4, waiting for 3f9c2ab',
    } as const;
    expect(rolloutStatus('staging', gate)).toEqual({ state: 'pending', description: gate.reason });
    const failed = {
      state: 'failed',
      tag: '3f9c2ab',
      reason: 'x'.repeat(200),
      evidence: { healthMessage: 'ping @everyone `now`' },
    } as const;
    expect(rolloutStatus('staging', failed).description).toHaveLength(140);
    const comment = renderRolloutComment('staging', failed);
    expect(comment).toContain("- health: `ping @everyone 'now'`");
    expect(comment).toContain('nothing merges it, `/approve` included');
    expect(rolloutStatus('staging', { state: 'verified', tag: '3f9c2ab', verifiedAt: 0 })).toEqual({
      state: 'success',
      description: 'staging runs 3f9c2ab since 1970-01-01T00:00:00.000Z',
    });
  });

  it('lets /status say where the rollout stands, and holds the merge unless this very candidate is verified', () => {
    expect(describeRollout('staging', '3f9c2ab', null)).toEqual({
      held: true,
      line: '⏳ staging is not verified running `3f9c2ab` yet',
    });
    expect(
      describeRollout('staging', '3f9c2ab', { state: 'verified', tag: '1a2b3c4', verifiedAt: 0 }).held,
    ).toBe(true);
    expect(
      describeRollout('staging', '3f9c2ab', { state: 'verified', tag: '3f9c2ab', verifiedAt: 0 }),
    ).toEqual({
      held: false,
      line: '✅ staging runs `3f9c2ab` since 1970-01-01T00:00:00.000Z (verified)',
    });
    expect(
      describeRollout('staging', '3f9c2ab', {
        state: 'failed',
        tag: '3f9c2ab',
        reason: 'Degraded',
        evidence: {},
      }),
    ).toEqual({ held: true, line: '❌ failed: `Degraded`' });
  });
});
