import { describe, expect, it } from 'vitest';
import {
  emptyPromotionState,
  setCandidate,
} from '../../../src/promotion/pull-request-state/promotion-state.js';
import {
  waitingOnlyForApprovals,
  waitingSummary,
} from '../../../src/promotion/pull-request-state/waiting-for-approval.js';
import { Environment } from '../../../src/policy/schema.js';

const env = Environment.parse({
  name: 'prod',
  path: 'p',
  update: 'pull-request',
  from: 'dev',
  approvals: { required: 1, approvers: ['bob'] },
});
const state = setCandidate(emptyPromotionState(), {
  tag: 't',
  headSha: 'abc',
  at: '2026-12-07T10:00:00Z',
  actor: 'promobot',
});
const input = { state, environment: env, gateStatus: null, mergeable: true, held: false };

describe('waitingOnlyForApprovals', () => {
  it('is true when approvals are all that is missing', () => {
    expect(waitingOnlyForApprovals(input)).toBe(true);
    expect(waitingSummary(input, '4h')).toBe(
      'waiting longer than 4h for approval: 0 of 1 approval so far (approvers: bob)',
    );
  });

  it('is false when anything else is missing too, or no approval is required', () => {
    expect(waitingOnlyForApprovals({ ...input, mergeable: null })).toBe(false);
    expect(waitingOnlyForApprovals({ ...input, held: true })).toBe(false);
    expect(waitingOnlyForApprovals({ ...input, stopped: 'held by @alice on issue #3' })).toBe(false);
    expect(waitingOnlyForApprovals({ ...input, state: emptyPromotionState() })).toBe(false);
    expect(
      waitingOnlyForApprovals({
        ...input,
        environment: { ...env, gates: ['error-rate'] },
        gateStatus: 'pending',
      }),
    ).toBe(false);
    expect(waitingOnlyForApprovals({ ...input, environment: { ...env, approvals: undefined } })).toBe(false);
  });
});
