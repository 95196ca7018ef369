import type { CommitStatus } from '../scm/types.js';

/** Marks promobot's comment about a merge by hand, so a retried event does not post it twice. */
export const MANUAL_MERGE_MARKER = '<!-- promobot:manual-merge -->';

export interface ManualMergeVerdict {
  /** Every required status was `success` on the merged head. */
  readonly green: boolean;
  /** `context: state` of each required status that was not (`missing` when the head had none). */
  readonly notGreen: readonly string[];
}

/**
 * Pure: whether a promotion PR merged by a person had every status promobot requires green on its head.
 * `statuses` are the head's combined statuses (the newest per context, as both hosts answer them).
 */
export function judgeManualMerge(
  required: readonly string[],
  statuses: readonly CommitStatus[],
): ManualMergeVerdict {
  const notGreen: string[] = [];
  for (const context of required) {
    const status = statuses.find((s) => s.context === context);
    if (status?.state !== 'success') notGreen.push(`${context}: ${status?.state ?? 'missing'}`);
  }
  return { green: notGreen.length === 0, notGreen };
}

/** Pure: what promobot says on a promotion PR a person merged before its statuses were green. */
export function renderManualMergeComment(by: string, notGreen: readonly string[]): string {
  return [
    `⚠️ @${by} merged this promotion PR by hand before promobot's checks were green (${notGreen.join(', ')}): its gates and approvals were bypassed. This is recorded in the decisions below.`,
    '',
    "The deploy branch does not require promobot's statuses. `promobot setup` makes the host refuse such merges (see `promobot doctor`).",
    '',
    MANUAL_MERGE_MARKER,
  ].join('\n');
}
