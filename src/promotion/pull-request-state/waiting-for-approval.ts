import { decideMerge, requiredApprovals, type MergeInput } from './decide-merge.js';

/**
 * Pure: whether the PR waits for its approvals and for nothing else (a candidate, gates green or none, no hold, no
 * stop, mergeable): then people, not promobot, are what it waits on, and `notifyAfter.waitingForApproval` applies.
 */
export function waitingOnlyForApprovals(input: MergeInput): boolean {
  if (requiredApprovals(input.environment) === 0) return false;
  if (decideMerge(input).action !== 'wait') return false;
  const { approvals: _approvals, ...rest } = input.environment;
  return decideMerge({ ...input, environment: rest }).action !== 'wait';
}

/** Pure: the summary of a waiting-for-approval event, e.g. "waiting 4h for approval: 0 of 1 approval so far". */
export function waitingSummary(input: MergeInput, after: string): string {
  const decision = decideMerge(input);
  const reasons = decision.action === 'wait' ? decision.reasons.join('; ') : '';
  const approvers = input.environment.approvals?.approvers ?? [];
  return `waiting longer than ${after} for approval: ${reasons}${approvers.length > 0 ? ` (approvers: ${approvers.join(', ')})` : ''}`;
}
