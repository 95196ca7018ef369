import type { GateStatus } from '../../gates/rounds.js';
import type { Environment } from '../../policy/schema.js';
import type { CommitStatus } from '../../scm/types.js';
import { countedApprovals, type PromotionState } from './promotion-state.js';

export const APPROVAL_STATUS_CONTEXT = 'promobot/approval';

export interface MergeInput {
  state: PromotionState;
  environment: Environment;
  /** The gate verdict for the current candidate; null while none has been reached or started. */
  gateStatus: GateStatus | null;
  /** The host's answer; null while it is still computing it. */
  mergeable: boolean | null;
  /** Held by something outside the ChatOps state (a freeze window, say); `state.holds` count as well. */
  held: boolean;
  /** A rollback whose policy lets it skip the gates (`rollback.skipGates`); approvals are never skipped. */
  skipGates?: boolean;
  /**
   * The global stop that holds this promotion (`decideGlobalStop` in governance/global-stop.ts), as the PR says it:
   * "held by @alice on issue #7: incident 42"; absent or null when none does.
   */
  stopped?: string | null;
}

export type MergeDecision =
  /** The bot merges now; `approvers` go into the merge commit's trailers. */
  | { action: 'merge'; approvers: string[] }
  /** Everything passes, and people merge (`merger: people`, or no `autoMerge` and no approvals required). */
  | { action: 'ready'; approvers: string[] }
  | { action: 'wait'; reasons: string[] };

/** Approvals the environment requires; none when it sets no `approvals`. */
export function requiredApprovals(environment: Environment): number {
  return environment.approvals?.required ?? 0;
}

/**
 * Does the bot merge in `environment` once everything passes? When `merger` is `bot` and the environment either sets
 * `autoMerge` or requires approvals (approving is asking for the merge); otherwise people merge. The one place this
 * rule is written: `decideMerge` applies it, and reconcile asks it before it reads and locks a PR to merge.
 */
export function botMerges(environment: Environment): boolean {
  return environment.merger === 'bot' && (environment.autoMerge || requiredApprovals(environment) > 0);
}

function approvalsLine(count: number, required: number): string {
  return `${count} of ${required} approval${required === 1 ? '' : 's'}`;
}

/**
 * May the promotion PR merge now, and who merges it? Everything must hold: a candidate, enough approvals for the
 * current head, gate success (unless the environment has no gates or a rollback skips them), no hold, and a
 * mergeable PR. Then the bot merges when `merger` is `bot` and the environment either sets `autoMerge` or requires
 * approvals (approving is asking for the merge); otherwise it is `ready` for people. `wait` lists every unmet
 * condition, not only the first, so the status comment can say all that is missing.
 */
export function decideMerge(input: MergeInput): MergeDecision {
  const { state, environment } = input;
  const reasons: string[] = [];
  const approvers = countedApprovals(state, environment.approvals).map((a) => a.by);
  const required = requiredApprovals(environment);

  if (state.candidate === null) reasons.push('there is no candidate yet');
  if (approvers.length < required) reasons.push(`${approvalsLine(approvers.length, required)} so far`);
  if (environment.gates.length > 0 && input.skipGates !== true) {
    if (input.gateStatus === null) reasons.push('the gates have not run yet');
    else if (input.gateStatus === 'pending') reasons.push('the gates are still running');
    else if (input.gateStatus === 'failure') reasons.push('the gates failed');
  }
  for (const h of state.holds) reasons.push(`held by @${h.by}${h.reason === null ? '' : `: ${h.reason}`}`);
  if (input.held && state.holds.length === 0) reasons.push('the promotion is held');
  if (input.stopped) reasons.push(input.stopped);
  if (input.mergeable === null) reasons.push('the host is still checking whether the PR can merge');
  else if (!input.mergeable) reasons.push('the PR cannot merge as it is (a conflict, or branch protection)');

  if (reasons.length > 0) return { action: 'wait', reasons };
  return { action: botMerges(environment) ? 'merge' : 'ready', approvers };
}

/**
 * The `promobot/approval` commit status: `pending` "1 of 2 approvals" until enough people approved the current
 * head, then `success`; a hold keeps it `pending` so branch protection stops people merging too.
 */
export function approvalStatus(
  state: PromotionState,
  environment: Environment,
  /** A global stop that holds the promotion (see {@link MergeInput.stopped}); it keeps the status `pending`. */
  stopped: string | null = null,
): CommitStatus {
  const count = countedApprovals(state, environment.approvals).length;
  const required = requiredApprovals(environment);
  const enough = count >= required;
  const holders = state.holds.map((h) => `@${h.by}`);
  let description = required === 0 ? 'no approval required' : approvalsLine(count, required);
  if (holders.length > 0) description += `; held by ${holders.join(', ')}`;
  if (stopped) description = `${stopped}; ${description}`;
  if (description.length > 140) description = `${description.slice(0, 139)}…`;
  return {
    context: APPROVAL_STATUS_CONTEXT,
    state: enough && holders.length === 0 && !stopped ? 'success' : 'pending',
    description,
  };
}
