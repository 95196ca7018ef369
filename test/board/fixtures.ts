import { parse } from 'yaml';
import type { AppBoard } from '../../src/board/index.js';
import { buildJourneys } from '../../src/board/journey.js';
import { PromotionPolicy } from '../../src/policy/schema.js';

/** A policy with the given apps, built in code: names a policy file could never hold are how hostile input is tested. */
export function policyWith(name: string, apps: string[]): PromotionPolicy {
  const valid = PromotionPolicy.parse(
    parse(`apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: placeholder }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: placeholder, image: harbor.local/bootcamp/placeholder }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 2, approvers: [alice, bob, carol] }
      gates: [ttft-p95]
`),
  );
  const [app] = valid.spec.apps;
  return {
    ...valid,
    metadata: { ...valid.metadata, name },
    spec: {
      ...valid.spec,
      apps: apps.map((a) => ({ ...app!, name: a, image: `harbor.local/bootcamp/${a}` })),
    },
  };
}

/** A snapshot as the worker writes it: dev and staging run `tag`, prod the old one, with a prod PR waiting. */
export function snapshotOf(policy: string, app: string, tag = '7777777eeeeeee', now = Date.now()): AppBoard {
  const board: AppBoard = {
    policy,
    app,
    image: `harbor.local/bootcamp/${app}`,
    deployRepo: { scm: 'gitea', repo: 'bootcamp/notes-deploy' },
    environments: [
      { env: 'dev', tag, since: now - 3_600_000, verification: null },
      { env: 'staging', tag, since: now - 1_800_000, verification: null },
      { env: 'prod', tag: '0000000aaaaaaa', since: now - 86_400_000, verification: null },
    ],
    promotions: [
      {
        policy,
        app,
        env: 'prod',
        from: 'staging',
        kind: 'promotion',
        tag,
        previousTag: '0000000aaaaaaa',
        pr: {
          number: 12,
          url: 'http://gitea.example/bootcamp/notes-deploy/pulls/12',
          headSha: 'a'.repeat(40),
        },
        commitUrl: `http://gitea.example/bootcamp/notes-deploy/commit/${'a'.repeat(40)}`,
        status: 'gating',
        words: 'gates round 1, 1 of 3 passes, last pass; 0 of 2 approvals',
        reasons: ['0 of 2 approvals so far', 'the gates are still running'],
        soakingUntil: null,
        approvals: { count: 0, required: 2, by: [] },
        holds: [],
        gates: {
          status: 'pending',
          round: 1,
          consecutivePasses: 1,
          passesNeeded: 3,
          failures: 0,
          failureLimit: 2,
          lastOutcome: 'pass',
          lastReason: 'ttft-p95 0.42 s ≤ 0.8 s',
          lastRoundAt: now - 60_000,
          conclusion: null,
        },
        gateNames: ['ttft-p95'],
        awaitingApprovalSince: null,
        rounds: [
          {
            round: 1,
            at: now - 60_000,
            outcome: 'pass',
            gates: [
              {
                gate: 'ttft-p95',
                verdict: 'pass',
                thresholds: { max: 0.8 },
                queryUrl: 'http://prometheus.example/graph?g0.expr=ttft&g0.tab=1',
                series: [{ name: 'model=llama-3-8b', value: 0.42, baseline: null }],
              },
            ],
          },
        ],
      },
    ],
    history: [
      {
        env: 'dev',
        tag,
        since: now - 3_600_000,
        commit: 'c'.repeat(40),
        endedBy: null,
        author: 'promobot <promobot@example.test>',
        subject: `deploy ${app} to dev`,
        trailers: { 'Promobot-Tag': tag },
      },
      {
        env: 'staging',
        tag,
        since: now - 1_800_000,
        commit: 'd'.repeat(40),
        endedBy: null,
        author: 'promobot <promobot@example.test>',
        subject: `promote ${app} to staging`,
        trailers: { 'Promobot-Approved-By': 'dave' },
      },
      {
        env: 'prod',
        tag: '0000000aaaaaaa',
        since: now - 86_400_000,
        commit: 'b'.repeat(40),
        endedBy: null,
        author: 'promobot <promobot@example.test>',
        subject: `promote ${app} to prod`,
        trailers: { 'Promobot-Approved-By': 'alice' },
      },
    ],
    lastPush: { tag, at: now - 3_700_000 },
    journeys: [],
    updatedAt: now,
  };
  return { ...board, journeys: buildJourneys(board) };
}
