import {
  countedApprovals,
  decideMerge,
  requiredApprovals,
  type PromotionState,
} from '../promotion/pull-request-state/index.js';
import type { GateState } from '../gates/index.js';
import type { Environment } from '../policy/index.js';
import type { PromotionMeta } from '../promotion/promotion-meta.js';
import { MAX_TEXT, type GateProgress, type Promotion, type PromotionStatus } from './schema.js';

export interface DescribeInput {
  meta: PromotionMeta;
  pr: { number: number; url: string; headSha: string; mergeable: boolean | null };
  environment: Environment;
  /** The PR's ChatOps state from Redis; null when none was kept yet (a PR just opened). */
  state: PromotionState | null;
  /** The gate soak of the PR's current head; null when none started. */
  gates: GateState | null;
  /** When the candidate is soaked in the from environment (epoch ms); null when there is no soak. */
  soakedAt: number | null;
  /** When the previous snapshot first saw this PR (same head) waiting for approvals only; null when it did not. */
  awaitingSince?: number | null;
  /**
   * The source environment's rollout when it is not verified running the candidate yet (promobot's rollout
   * record): the promotion waits for it. Null or absent when verified, or when the source verifies nothing.
   */
  rollout?: { env: string; state: 'waiting' | 'failed'; reason: string } | null;
  /** The freeze window that holds the promotion now (`decideFreeze`); null or absent when none does. */
  freeze?: { until: number | null; reason: string | null } | null;
  now: number;
}

/** decideMerge's reason for a hold that is no person's `/hold`; the board says which hold it is. */
const HELD = 'the promotion is held';

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/**
 * Where one open promotion stands, in one word and in words, from the same rules that decide its merge
 * (`decideMerge`): the board never has its own idea of what blocks a promotion. Pure.
 */
export function describePromotion(input: DescribeInput): Promotion {
  const { meta, environment, state, gates, now } = input;
  const required = requiredApprovals(environment);
  const approvers = state ? countedApprovals(state, environment.approvals).map((a) => a.by) : [];
  const holds = state?.holds ?? [];
  const skipGates = meta.kind === 'rollback' && environment.rollback.skipGates;
  const heldWhy = input.rollout
    ? `waiting for ${input.rollout.env} rollout`
    : input.freeze
      ? `frozen until ${input.freeze.until === null ? 'further notice' : new Date(input.freeze.until).toISOString()}`
      : null;
  const soakingUntil = input.soakedAt !== null && input.soakedAt > now ? input.soakedAt : null;
  const decision = state
    ? decideMerge({
        state,
        environment,
        gateStatus: gates?.status ?? null,
        mergeable: input.pr.mergeable,
        held: Boolean(input.rollout) || Boolean(input.freeze),
        skipGates,
      })
    : null;
  const reasons =
    decision === null
      ? ['promobot has not looked at this PR yet']
      : decision.action === 'wait'
        ? decision.reasons.map((r) => (r === HELD && heldWhy !== null ? heldWhy : r))
        : [];
  const gated = environment.gates.length > 0 && !skipGates;

  let status: PromotionStatus;
  const rollout = input.rollout ?? null;
  const freeze = input.freeze ?? null;
  if (holds.length > 0) status = 'held';
  else if (rollout !== null) status = 'waiting-rollout';
  else if (freeze !== null) status = 'frozen';
  else if (soakingUntil !== null) status = 'soaking';
  else if (gated && gates?.status === 'failure') status = 'gates-failed';
  else if (gated && gates?.status !== 'success') status = 'gating';
  else if (approvers.length < required) status = 'awaiting-approval';
  else if (reasons.length > 0) status = 'blocked';
  else status = 'ready';

  const words: string[] = [];
  if (rollout !== null)
    words.push(
      rollout.state === 'failed'
        ? `${rollout.env} rollout failed: ${rollout.reason}`
        : `waiting for ${rollout.env} rollout: ${rollout.reason}`,
    );
  if (freeze !== null)
    words.push(
      `frozen until ${freeze.until === null ? 'further notice' : new Date(freeze.until).toISOString()}` +
        (freeze.reason ? `: ${freeze.reason}` : ''),
    );
  if (status === 'soaking' && soakingUntil !== null)
    words.push(`soaking in ${meta.from ?? 'the previous environment'}, ${minutes(soakingUntil - now)} left`);
  if (gated && gates) words.push(gateWords(gates));
  if (required > 0)
    words.push(
      // The issue's wording ("0 of 1 approvals"): the count of a total, as a release lead reads it on the board.
      // The PR's own status comment keeps decideMerge's wording.
      `${approvers.length} of ${required} approvals` +
        (approvers.length > 0 ? ` (${approvers.map((a) => `@${a}`).join(', ')})` : ''),
    );
  for (const h of holds) words.push(`held by @${h.by}${h.reason === null ? '' : `: ${h.reason}`}`);
  if (status === 'ready') words.push('ready to merge');
  else if (status === 'blocked') words.push(...reasons);

  return {
    policy: meta.policy,
    app: meta.app,
    env: meta.env,
    from: meta.from ?? null,
    kind: meta.kind,
    tag: meta.tag,
    previousTag: meta.previousTag,
    pr: { number: input.pr.number, url: input.pr.url, headSha: input.pr.headSha },
    commitUrl: commitUrlOf(input.pr.url, input.pr.headSha),
    status,
    words: clip(words.join('; ') || status),
    reasons: reasons.slice(0, 20).map(clip),
    soakingUntil,
    approvals: { count: approvers.length, required, by: approvers.slice(0, 50) },
    holds: holds
      .slice(0, 50)
      .map((h) => ({ by: h.by, reason: h.reason === null ? null : clip(h.reason), at: h.at })),
    gates: gates ? gateProgress(gates) : null,
    gateNames: environment.gates.slice(0, 50),
    rounds: [],
    awaitingApprovalSince: status === 'awaiting-approval' ? (input.awaitingSince ?? now) : null,
  };
}

/** `…/owner/repo/pulls/7` (Gitea) or `…/owner/repo/pull/7` (GitHub) → `…/owner/repo/commit/<sha>`. */
export function commitUrlOf(prUrl: string, sha: string): string | null {
  const base = /^(https?:\/\/.+)\/pulls?\/\d+$/.exec(prUrl)?.[1];
  return base && /^[0-9a-f]{7,64}$/.test(sha) ? `${base}/commit/${sha}` : null;
}

function gateProgress(state: GateState): GateProgress {
  return {
    status: state.status,
    round: state.round,
    consecutivePasses: state.consecutivePasses,
    passesNeeded: state.passes,
    failures: state.failures,
    failureLimit: state.failureLimit,
    lastOutcome: state.lastOutcome,
    lastReason: state.lastReason === null ? null : clip(state.lastReason),
    lastRoundAt: state.lastRoundAt,
    conclusion: state.conclusion === null ? null : clip(state.conclusion),
  };
}

function gateWords(state: GateState): string {
  if (state.status === 'success') return `gates passed (${state.round} round${state.round === 1 ? '' : 's'})`;
  if (state.status === 'failure') return `gates failed${state.conclusion ? `: ${state.conclusion}` : ''}`;
  const last = state.lastOutcome === null ? '' : `, last ${state.lastOutcome}`;
  return `gates round ${state.round}, ${state.consecutivePasses} of ${state.passes} passes${last}`;
}

function minutes(ms: number): string {
  const total = Math.max(1, Math.ceil(ms / 60_000));
  return total >= 120 ? `${Math.round(total / 60)} h` : `${total} min`;
}
