import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Environment } from '../../../src/policy/schema.js';
import {
  approvalStatus,
  botMerges,
  decideMerge,
  type MergeInput,
} from '../../../src/promotion/pull-request-state/decide-merge.js';
import {
  applyComment,
  emptyPromotionState,
  setCandidate,
  type PromotionState,
} from '../../../src/promotion/pull-request-state/promotion-state.js';

const prod = Environment.parse(
  parse(`
name: prod
path: chat-ui/prod
update: pull-request
from: staging
approvals: { required: 2, approvers: [team:bootcamp/sre, release-lead] }
gates: [ttft-p95, error-rate]
`),
);

function state(approvers: string[], holds: Array<[string, string | null]> = []): PromotionState {
  let s = setCandidate(emptyPromotionState(), { tag: 'abc1234', headSha: 'h1', at: 't0', actor: 'promobot' });
  let id = 1;
  for (const by of approvers) {
    s = applyComment(s, {
      commentId: id++,
      actor: by,
      at: 't1',
      commands: [{ command: { name: 'approve', cancel: false }, authorization: { allowed: true } }],
    }).state;
  }
  for (const [by, reason] of holds) {
    s = applyComment(s, {
      commentId: id++,
      actor: by,
      at: 't2',
      commands: [{ command: { name: 'hold', reason }, authorization: { allowed: true } }],
    }).state;
  }
  return s;
}

function input(overrides: Partial<MergeInput>): MergeInput {
  return {
    state: state(['alice', 'carol']),
    environment: prod,
    gateStatus: 'success',
    mergeable: true,
    held: false,
    ...overrides,
  };
}

describe('decideMerge()', () => {
  it('merges with enough approvals, green gates, no hold and a mergeable PR, naming the approvers', () => {
    expect(decideMerge(input({}))).toEqual({ action: 'merge', approvers: ['alice', 'carol'] });
  });

  it.each<[string, Partial<MergeInput>, string[]]>([
    ['too few approvals', { state: state(['alice']) }, ['1 of 2 approvals so far']],
    ['gates not run', { gateStatus: null }, ['the gates have not run yet']],
    ['gates running', { gateStatus: 'pending' }, ['the gates are still running']],
    ['gates failed', { gateStatus: 'failure' }, ['the gates failed']],
    ['a hold', { state: state(['alice', 'carol'], [['carol', 'INC-7']]) }, ['held by @carol: INC-7']],
    ['an outside hold', { held: true }, ['the promotion is held']],
    ['a conflict', { mergeable: false }, ['the PR cannot merge as it is (a conflict, or branch protection)']],
    ['mergeability unknown', { mergeable: null }, ['the host is still checking whether the PR can merge']],
    [
      'no candidate',
      { state: emptyPromotionState() },
      ['there is no candidate yet', '0 of 2 approvals so far'],
    ],
  ])('waits on %s, saying why', (_what, overrides, reasons) => {
    expect(decideMerge(input(overrides))).toEqual({ action: 'wait', reasons });
  });

  it('lists every unmet condition at once', () => {
    expect(
      decideMerge(input({ state: state([], [['erin', null]]), gateStatus: 'pending', mergeable: null })),
    ).toEqual({
      action: 'wait',
      reasons: [
        '0 of 2 approvals so far',
        'the gates are still running',
        'held by @erin',
        'the host is still checking whether the PR can merge',
      ],
    });
  });

  it('blocks the merge while held, and merges once the hold is lifted', () => {
    const held = state(['alice', 'carol'], [['carol', null]]);
    expect(decideMerge(input({ state: held })).action).toBe('wait');
    const lifted = applyComment(held, {
      commentId: 99,
      actor: 'dave',
      at: 't3',
      commands: [{ command: { name: 'unhold' }, authorization: { allowed: true } }],
    }).state;
    expect(decideMerge(input({ state: lifted }))).toEqual({ action: 'merge', approvers: ['alice', 'carol'] });
  });

  it("lists a person's hold alone when something outside holds the promotion too", () => {
    expect(decideMerge(input({ state: state(['alice', 'carol'], [['carol', null]]), held: true }))).toEqual({
      action: 'wait',
      reasons: ['held by @carol'],
    });
  });

  it('merges an environment without gates whatever the gate status, since none will run', () => {
    const ungated = Environment.parse({ ...prod, gates: [] });
    expect(decideMerge(input({ environment: ungated, gateStatus: null }))).toEqual({
      action: 'merge',
      approvers: ['alice', 'carol'],
    });
  });

  it('says "approval" for a single required approval', () => {
    const one = Environment.parse({ ...prod, approvals: { required: 1 } });
    expect(decideMerge(input({ environment: one, state: state([]) }))).toEqual({
      action: 'wait',
      reasons: ['0 of 1 approval so far'],
    });
  });

  it('reports ready instead of merging when people merge', () => {
    const people = Environment.parse({ ...prod, merger: 'people' });
    expect(decideMerge(input({ environment: people }))).toEqual({
      action: 'ready',
      approvers: ['alice', 'carol'],
    });
  });

  it('reports ready when nothing asks the bot to merge (no approvals, no autoMerge)', () => {
    const manual = Environment.parse({ ...prod, approvals: undefined, gates: [] });
    expect(decideMerge(input({ environment: manual, state: state([]) }))).toEqual({
      action: 'ready',
      approvers: [],
    });
    const auto = Environment.parse({ ...manual, autoMerge: true });
    expect(decideMerge(input({ environment: auto, state: state([]) }))).toEqual({
      action: 'merge',
      approvers: [],
    });
  });

  it('lets a rollback skip the gates but never the approvals', () => {
    expect(decideMerge(input({ gateStatus: 'failure', skipGates: true })).action).toBe('merge');
    expect(decideMerge(input({ state: state(['alice']), gateStatus: null, skipGates: true }))).toEqual({
      action: 'wait',
      reasons: ['1 of 2 approvals so far'],
    });
  });

  it('does not count approvals of an earlier head', () => {
    const moved = setCandidate(state(['alice', 'carol']), {
      tag: 'def5678',
      headSha: 'h2',
      at: 't4',
      actor: 'promobot',
    });
    expect(decideMerge(input({ state: moved }))).toEqual({
      action: 'wait',
      reasons: ['0 of 2 approvals so far'],
    });
  });
});

describe('botMerges()', () => {
  it('is the bot where it merges by itself or approvals ask it to, never where people merge', () => {
    const manual = Environment.parse({ ...prod, approvals: undefined, gates: [] });
    expect(botMerges(prod)).toBe(true);
    expect(botMerges(Environment.parse({ ...prod, merger: 'people' }))).toBe(false);
    expect(botMerges(Environment.parse({ ...prod, merger: 'people', autoMerge: true }))).toBe(false);
    expect(botMerges(manual)).toBe(false);
    expect(botMerges(Environment.parse({ ...manual, autoMerge: true }))).toBe(true);
  });

  it('is what decideMerge decides once everything passes', () => {
    for (const environment of [
      prod,
      Environment.parse({ ...prod, merger: 'people' }),
      Environment.parse({ ...prod, approvals: { required: 0 }, autoMerge: false }),
      Environment.parse({ ...prod, approvals: { required: 0 }, autoMerge: true }),
    ]) {
      const decision = decideMerge(input({ environment }));
      expect(decision.action).toBe(botMerges(environment) ? 'merge' : 'ready');
    }
  });
});

describe('approvalStatus()', () => {
  it('is pending with "1 of 2 approvals" until enough people approved', () => {
    expect(approvalStatus(state(['alice']), prod)).toEqual({
      context: 'promobot/approval',
      state: 'pending',
      description: '1 of 2 approvals',
    });
  });

  it('is success with enough approvals', () => {
    expect(approvalStatus(state(['alice', 'carol']), prod)).toEqual({
      context: 'promobot/approval',
      state: 'success',
      description: '2 of 2 approvals',
    });
  });

  it('stays pending while held, naming who holds it', () => {
    expect(approvalStatus(state(['alice', 'carol'], [['erin', 'freeze']]), prod)).toEqual({
      context: 'promobot/approval',
      state: 'pending',
      description: '2 of 2 approvals; held by @erin',
    });
  });

  it('names every holder, and cuts the description at the 140 characters of a commit status', () => {
    const holders = (first: string): Array<[string, null]> => [
      [first, null],
      ['b'.repeat(20), null],
      ['c'.repeat(20), null],
      ['d'.repeat(20), null],
      ['e'.repeat(20), null],
    ];
    const full = `2 of 2 approvals; held by @${'a'.repeat(21)}, @${'b'.repeat(20)}, @${'c'.repeat(20)}, @${'d'.repeat(20)}, @${'e'.repeat(20)}`;
    expect(full).toHaveLength(140);

    expect(approvalStatus(state(['alice', 'carol'], holders('a'.repeat(21))), prod).description).toBe(full);
    const longer = full.replace('a'.repeat(21), 'a'.repeat(22));
    expect(approvalStatus(state(['alice', 'carol'], holders('a'.repeat(22))), prod).description).toBe(
      `${longer.slice(0, 139)}…`,
    );
  });

  it('is success at once when the environment requires no approval', () => {
    const open = Environment.parse({ ...prod, approvals: undefined });
    expect(approvalStatus(state([]), open)).toMatchObject({
      state: 'success',
      description: 'no approval required',
    });
  });
});
