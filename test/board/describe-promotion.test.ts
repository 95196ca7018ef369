import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describePromotion, type DescribeInput } from '../../src/board/index.js';
import {
  applyComment,
  emptyPromotionState,
  setCandidate,
  type PromotionState,
} from '../../src/promotion/pull-request-state/index.js';
import { initialGateState, type GateState } from '../../src/gates/index.js';
import { Environment } from '../../src/policy/schema.js';

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);
const prod = Environment.parse(
  parse(`
name: prod
path: chat-ui/prod
update: pull-request
from: staging
approvals: { required: 2, approvers: [alice, bob, carol] }
gates: [ttft-p95, error-rate]
gating: { interval: 1m, passes: 3, failureLimit: 2, maxInconclusive: 15m }
`),
);

function state(approvers: string[], holds: [string, string | null][] = []): PromotionState {
  let s = setCandidate(emptyPromotionState(), { tag: 'abc1234', headSha: 'h1', at: 't0', actor: 'promobot' });
  let id = 1;
  for (const by of approvers)
    s = applyComment(s, {
      commentId: id++,
      actor: by,
      at: 't1',
      commands: [{ command: { name: 'approve', cancel: false }, authorization: { allowed: true } }],
    }).state;
  for (const [by, reason] of holds)
    s = applyComment(s, {
      commentId: id++,
      actor: by,
      at: 't2',
      commands: [{ command: { name: 'hold', reason }, authorization: { allowed: true } }],
    }).state;
  return s;
}

function gates(overrides: Partial<GateState>): GateState {
  return { ...initialGateState(prod.gating, NOW - 600_000), ...overrides };
}

function input(overrides: Partial<DescribeInput>): DescribeInput {
  return {
    meta: {
      v: 1,
      policy: 'chat',
      app: 'chat-ui',
      env: 'prod',
      from: 'staging',
      tag: 'abc1234',
      previousTag: '0000000',
      kind: 'promotion',
    },
    pr: { number: 7, url: 'http://gitea.example/pulls/7', headSha: 'h1', mergeable: true },
    environment: prod,
    state: state([]),
    gates: gates({ status: 'success', round: 3, consecutivePasses: 3 }),
    soakedAt: null,
    now: NOW,
    ...overrides,
  };
}

describe('board/describePromotion()', () => {
  it('waits for approvals once the gates passed, counting only approvals of the current head', () => {
    const described = describePromotion(input({ state: state(['alice']) }));
    expect(described).toMatchObject({
      status: 'awaiting-approval',
      approvals: { count: 1, required: 2, by: ['alice'] },
      reasons: ['1 of 2 approvals so far'],
    });
    expect(described.words).toBe('gates passed (3 rounds); 1 of 2 approvals (@alice)');
  });

  it('says which round the gates are in and the last verdict while they run', () => {
    const described = describePromotion(
      input({ gates: gates({ status: 'pending', round: 2, consecutivePasses: 1, lastOutcome: 'pass' }) }),
    );
    expect(described.status).toBe('gating');
    expect(described.words).toBe('gates round 2, 1 of 3 passes, last pass; 0 of 2 approvals');
    expect(described.gates).toMatchObject({ round: 2, passesNeeded: 3, failureLimit: 2 });
  });

  it('puts a hold before everything else, naming who held and why', () => {
    const described = describePromotion(
      input({ state: state(['alice', 'bob'], [['carol', 'freeze until 14:00']]) }),
    );
    expect(described.status).toBe('held');
    expect(described.holds).toEqual([{ by: 'carol', reason: 'freeze until 14:00', at: 't2' }]);
    expect(described.words).toContain('held by @carol: freeze until 14:00');
  });

  it('says "waiting for staging rollout" while the source is not verified running the candidate', () => {
    const described = describePromotion(
      input({
        state: state(['alice', 'bob']),
        rollout: { env: 'staging', state: 'waiting', reason: 'Argo CD OutOfSync at 1a2b3c' },
      }),
    );
    expect(described.status).toBe('waiting-rollout');
    expect(described.words).toBe(
      'waiting for staging rollout: Argo CD OutOfSync at 1a2b3c; gates passed (3 rounds); 2 of 2 approvals (@alice, @bob)',
    );
    expect(described.reasons).toEqual(['waiting for staging rollout']);
    const failed = describePromotion(
      input({ rollout: { env: 'staging', state: 'failed', reason: 'Degraded' } }),
    );
    expect(failed.words).toContain('staging rollout failed: Degraded');
  });

  it('says "frozen until …" when a freeze window holds the promotion, and the reason', () => {
    const until = NOW + 3_600_000;
    const described = describePromotion(
      input({ state: state(['alice', 'bob']), freeze: { until, reason: 'year-end freeze' } }),
    );
    expect(described.status).toBe('frozen');
    expect(described.words).toContain(`frozen until ${new Date(until).toISOString()}: year-end freeze`);
    expect(described.reasons).toEqual([`frozen until ${new Date(until).toISOString()}`]);
    // Without the freeze, the same promotion is ready: the freeze alone held it.
    expect(describePromotion(input({ state: state(['alice', 'bob']) })).status).toBe('ready');
  });

  it('soaks before the gates, with the time left', () => {
    const described = describePromotion(input({ gates: null, soakedAt: NOW + 90 * 60_000 }));
    expect(described).toMatchObject({ status: 'soaking', soakingUntil: NOW + 90 * 60_000 });
    expect(described.words).toMatch(/^soaking in staging, 90 min left/);
  });

  it('reports failed gates as such', () => {
    const described = describePromotion(
      input({ gates: gates({ status: 'failure', conclusion: 'ttft-p95 failed twice' }) }),
    );
    expect(described.status).toBe('gates-failed');
    expect(described.words).toContain('gates failed: ttft-p95 failed twice');
  });

  it('is ready when everything holds, and blocked with the reason when only the host refuses', () => {
    expect(describePromotion(input({ state: state(['alice', 'bob']) }))).toMatchObject({
      status: 'ready',
      reasons: [],
    });
    const blocked = describePromotion(
      input({ state: state(['alice', 'bob']), pr: { ...input({}).pr, mergeable: false } }),
    );
    expect(blocked.status).toBe('blocked');
    expect(blocked.words).toContain('the PR cannot merge as it is');
  });

  it('waits for promobot when no ChatOps state was kept yet', () => {
    const described = describePromotion(input({ state: null }));
    expect(described.status).toBe('awaiting-approval');
    expect(described.reasons).toEqual(['promobot has not looked at this PR yet']);
  });

  it('links the head commit next to the PR, on Gitea and GitHub URLs alike', () => {
    expect(describePromotion(input({})).commitUrl).toBeNull(); // 'h1' is no commit id
    const pr = { ...input({}).pr, headSha: 'abc1234def' };
    expect(
      describePromotion(input({ pr: { ...pr, url: 'https://gitea.example/o/r/pulls/7' } })).commitUrl,
    ).toBe('https://gitea.example/o/r/commit/abc1234def');
    expect(describePromotion(input({ pr: { ...pr, url: 'https://github.com/o/r/pull/7' } })).commitUrl).toBe(
      'https://github.com/o/r/commit/abc1234def',
    );
    expect(
      describePromotion(input({ pr: { ...pr, url: 'javascript:alert(1)//pull/7' } })).commitUrl,
    ).toBeNull();
  });

  it('caps the text a person controls', () => {
    const described = describePromotion(input({ state: state([], [['carol', 'x'.repeat(400)]]) }));
    expect(described.words.length).toBeLessThanOrEqual(500);
    expect(described.holds[0]!.reason!.length).toBeLessThanOrEqual(500);
  });
});
