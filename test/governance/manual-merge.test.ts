import { describe, expect, it } from 'vitest';
import {
  judgeManualMerge,
  MANUAL_MERGE_MARKER,
  renderManualMergeComment,
} from '../../src/governance/manual-merge.js';

const REQUIRED = ['promobot/approval', 'promobot/gates', 'promobot/promotion'];

describe('governance/judgeManualMerge()', () => {
  it('is green only when every required status is success', () => {
    const all = REQUIRED.map((context) => ({ context, state: 'success' as const, description: '' }));
    expect(
      judgeManualMerge(REQUIRED, [...all, { context: 'ci', state: 'failure', description: '' }]),
    ).toEqual({
      green: true,
      notGreen: [],
    });
  });

  it('names each required status that was pending, failed or missing', () => {
    expect(
      judgeManualMerge(REQUIRED, [
        { context: 'promobot/approval', state: 'pending', description: '1 of 2 approvals' },
        { context: 'promobot/gates', state: 'failure', description: '' },
      ]),
    ).toEqual({
      green: false,
      notGreen: ['promobot/approval: pending', 'promobot/gates: failure', 'promobot/promotion: missing'],
    });
  });
});

describe('governance/renderManualMergeComment()', () => {
  it('names who merged, what was not green, the fix, and carries the marker', () => {
    const body = renderManualMergeComment('alice', ['promobot/gates: pending']);
    expect(body).toContain('@alice merged this promotion PR by hand');
    expect(body).toContain('promobot/gates: pending');
    expect(body).toContain('`promobot setup`');
    expect(body.endsWith(MANUAL_MERGE_MARKER)).toBe(true);
  });
});
