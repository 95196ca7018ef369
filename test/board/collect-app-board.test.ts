import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectAppBoard, type BoardSources } from '../../src/board/collect-app-board.js';
import { PromotionPolicy } from '../../src/policy/schema.js';
import { promotionBranch, renderPromotionMeta } from '../../src/promotion/promotion-meta.js';
import type { RolloutRecord } from '../../src/rollout/runtime/rollout-record.js';
import { repoRef, type ScmHost } from '../../src/scm/index.js';

const NOW = Date.UTC(2026, 11, 24, 12, 0, 0);
const TAG = '7777777eeeeeee';
const OLD = '0000000aaaaaaa';

// staging verifies through Argo CD; prod has a dated freeze window around NOW.
const policy = PromotionPolicy.parse(
  parse(`apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: chat-ui, image: harbor.local/bootcamp/chat-ui }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - name: staging
      path: '{{app}}/staging'
      update: pull-request
      from: dev
      autoMerge: true
      verify: { provider: argocd }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 1, approvers: [alice] }
      freeze:
        windows:
          - { reason: year-end, from: '2026-12-24T00:00:00Z', to: '2026-12-27T00:00:00Z' }
`),
);
const app = policy.spec.apps[0]!;

function prodPr(): Awaited<ReturnType<ScmHost['listOpenPullRequests']>>[number] {
  return {
    number: 12,
    state: 'open',
    merged: false,
    title: `promote chat-ui to prod`,
    body: renderPromotionMeta({
      v: 1,
      policy: 'chat',
      app: 'chat-ui',
      env: 'prod',
      from: 'staging',
      tag: TAG,
      previousTag: OLD,
      kind: 'promotion',
    }),
    headRef: promotionBranch('prod', 'chat-ui'),
    headSha: 'a'.repeat(40),
    baseRef: 'main',
    author: 'promobot',
    url: 'http://gitea.example/bootcamp/notes-deploy/pulls/12',
    mergeable: true,
    mergeCommitSha: null,
  };
}

function sources(rollout: Record<string, RolloutRecord>): BoardSources {
  const running = {
    dev: { tag: TAG, since: NOW - 7_200_000 },
    staging: { tag: TAG, since: NOW - 3_600_000 },
    prod: { tag: OLD, since: NOW - 86_400_000 },
  };
  return {
    scm: { listOpenPullRequests: () => Promise.resolve([prodPr()]) } as unknown as ScmHost,
    botLogin: 'promobot',
    repo: repoRef('bootcamp/notes-deploy'),
    deployRepo: {
      readRunning: () => Promise.resolve(running),
      tagHistory: () => Promise.resolve([]),
    } as unknown as BoardSources['deployRepo'],
    promotionState: () => Promise.resolve(null),
    gateState: () => Promise.resolve(null),
    lastPush: () => Promise.resolve({ tag: TAG, at: NOW - 7_300_000 }),
    previous: null,
    gateRounds: () => Promise.resolve([]),
    rollout: (env) => Promise.resolve(rollout[env] ?? null),
    now: () => NOW,
  };
}

const record = (state: RolloutRecord['state'], tag = TAG): RolloutRecord => ({
  v: 1,
  tag,
  landingCommit: 'c'.repeat(40),
  startedAt: NOW - 3_600_000,
  nextAt: NOW,
  attempt: 1,
  state,
  reason: state === 'verified' ? 'Argo CD Synced and Healthy' : 'Argo CD OutOfSync at cccccc',
  ...(state === 'verified' ? { verifiedAt: NOW - 3_000_000 } : {}),
});

describe('board/collectAppBoard()', () => {
  it('holds the prod promotion on the staging rollout until the rollout record says it runs the candidate', async () => {
    const board = await collectAppBoard(policy, app, sources({ staging: record('waiting') }));
    expect(board.environments.map((e) => [e.env, e.verification?.state ?? null])).toEqual([
      ['dev', null],
      ['staging', 'waiting'],
      ['prod', null],
    ]);
    expect(board.promotions[0]).toMatchObject({ status: 'waiting-rollout' });
    expect(board.promotions[0]!.words).toMatch(/^waiting for staging rollout: Argo CD OutOfSync at cccccc/);

    // No record at all, or one of an older tag, is not verified either.
    for (const none of [{}, { staging: record('verified', OLD) }]) {
      const held = await collectAppBoard(policy, app, sources(none));
      expect(held.promotions[0]!.status).toBe('waiting-rollout');
    }
  });

  it('shows staging verified running, and then the freeze window is what holds prod, until when', async () => {
    const board = await collectAppBoard(policy, app, sources({ staging: record('verified') }));
    expect(board.environments[1]!.verification).toEqual({
      state: 'verified',
      tag: TAG,
      verifiedAt: NOW - 3_000_000,
      reason: 'Argo CD Synced and Healthy',
    });
    expect(board.promotions[0]!.status).toBe('frozen');
    expect(board.promotions[0]!.words).toContain('frozen until 2026-12-27T00:00:00.000Z: year-end');
    expect(board.promotions[0]!.words).toContain('0 of 1 approvals');
    // The journey of the candidate ends in the pending prod step.
    expect(board.journeys[0]).toMatchObject({ tag: TAG, pushedAt: NOW - 7_300_000 });
    expect(board.journeys[0]!.steps.map((s) => [s.env, s.state])).toEqual([['prod', 'pending']]);
  });
});
