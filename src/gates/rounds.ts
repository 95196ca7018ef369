import { z } from 'zod';
import { parseDuration, type Gating } from '../policy/schema.js';
import { Verdict } from './evidence.js';

/** The commit-status description limit GitHub enforces (Gitea stores more but shows as little). */
export const STATUS_DESCRIPTION_MAX = 140;

export const GateStatus = z.enum(['pending', 'success', 'failure']);
export type GateStatus = z.infer<typeof GateStatus>;

/**
 * Where a soak stands between rounds. Plain JSON (times in epoch ms) with its own copy of the gating rules, so it can
 * sit in Redis or bullmq job data, survive a restart, and be read back with `GateState.parse`.
 */
export const GateState = z.object({
  version: z.literal(1),
  startedAt: z.number(),
  intervalMs: z.number().int().positive(),
  passes: z.number().int().min(1),
  failureLimit: z.number().int().min(1),
  maxInconclusiveMs: z.number().int().min(0),
  /** Rounds evaluated so far. */
  round: z.number().int().min(0),
  consecutivePasses: z.number().int().min(0),
  /** Failing rounds so far (not only consecutive ones). */
  failures: z.number().int().min(0),
  /** Start of the current run of inconclusive rounds. */
  inconclusiveSince: z.number().nullable(),
  lastRoundAt: z.number().nullable(),
  lastOutcome: Verdict.nullable(),
  lastReason: z.string().nullable(),
  status: GateStatus,
  /** Why the soak ended, once it has. */
  conclusion: z.string().nullable(),
});
export type GateState = z.infer<typeof GateState>;

export interface RoundOutcome {
  outcome: Verdict;
  reason: string;
  /**
   * The round this outcome is for (1-based). When given, an outcome for any round but the next one is ignored, so a
   * job retried after it already counted cannot count twice.
   */
  round?: number | undefined;
}

export interface GateStep {
  state: GateState;
  status: GateStatus;
  /** The `promobot/gates` commit status description, at most 140 characters. */
  description: string;
  done: boolean;
}

/** The state before the first round. `gating` is the environment's (defaults applied by the policy schema). */
export function initialGateState(gating: Gating, now: number): GateState {
  return {
    version: 1,
    startedAt: now,
    intervalMs: parseDuration(gating.interval),
    passes: gating.passes,
    failureLimit: gating.failureLimit,
    maxInconclusiveMs: parseDuration(gating.maxInconclusive),
    round: 0,
    consecutivePasses: 0,
    failures: 0,
    inconclusiveSince: null,
    lastRoundAt: null,
    lastOutcome: null,
    lastReason: null,
    status: 'pending',
    conclusion: null,
  };
}

/**
 * Counts one round. Success after `passes` passing rounds in a row (an inconclusive or failing round breaks the run:
 * inconclusive never counts as pass); failure after `failureLimit` failing rounds, or when rounds have stayed
 * inconclusive for `maxInconclusive`. A finished state never changes again.
 *
 * @example
 * let step = { state: initialGateState(env.gating, Date.now()) };
 * step = nextGateState(step.state, { outcome: evidence.outcome, reason: evidence.reason }, Date.now());
 * // step.status === 'pending', step.description === 'round 1 of 3: 1 of 3 passes in a row'
 */
export function nextGateState(state: GateState, roundOutcome: RoundOutcome, now: number): GateStep {
  if (state.status !== 'pending') return step(state);
  if (roundOutcome.round !== undefined && roundOutcome.round !== state.round + 1) return step(state);

  const round = state.round + 1;
  const next: GateState = {
    ...state,
    round,
    lastRoundAt: now,
    lastOutcome: roundOutcome.outcome,
    lastReason: roundOutcome.reason,
  };

  switch (roundOutcome.outcome) {
    case 'pass':
      next.consecutivePasses = state.consecutivePasses + 1;
      next.inconclusiveSince = null;
      if (next.consecutivePasses >= state.passes) {
        next.status = 'success';
        next.conclusion = `passed ${next.consecutivePasses} rounds in a row`;
      }
      break;
    case 'fail':
      next.consecutivePasses = 0;
      next.failures = state.failures + 1;
      next.inconclusiveSince = null;
      if (next.failures >= state.failureLimit) {
        next.status = 'failure';
        next.conclusion = `failed ${next.failures} of ${round} rounds: ${roundOutcome.reason}`;
      }
      break;
    case 'inconclusive': {
      next.consecutivePasses = 0;
      const since = state.inconclusiveSince ?? now;
      next.inconclusiveSince = since;
      if (now - since >= state.maxInconclusiveMs) {
        next.status = 'failure';
        next.conclusion = `inconclusive for ${formatDuration(now - since)}: ${roundOutcome.reason}`;
      }
      break;
    }
  }
  return step(next);
}

/** When the next round is due (epoch ms): an interval after the last one, or at once before the first. */
export function nextRoundAt(state: GateState): number {
  return state.lastRoundAt === null ? state.startedAt : state.lastRoundAt + state.intervalMs;
}

/** The fewest rounds the soak can still take, counting those done: the "10" of "round 3 of 10". */
export function plannedRounds(state: GateState): number {
  return state.round + (state.status === 'pending' ? state.passes - state.consecutivePasses : 0);
}

/** The commit status description for a state, cut to 140 characters. */
export function describeGateState(state: GateState): string {
  let text: string;
  if (state.status === 'success') text = `gates ${state.conclusion ?? 'passed'} (round ${state.round})`;
  else if (state.status === 'failure') text = `gates ${state.conclusion ?? 'failed'}`;
  else if (state.round === 0) text = `waiting for round 1 of ${plannedRounds(state)}`;
  else {
    text = `round ${state.round} of ${plannedRounds(state)}: ${state.consecutivePasses} of ${state.passes} passes in a row`;
    if (state.lastOutcome !== 'pass')
      text += `; last ${state.lastOutcome ?? 'round'}: ${state.lastReason ?? ''}`;
  }
  return truncate(text, STATUS_DESCRIPTION_MAX);
}

function step(state: GateState): GateStep {
  return {
    state,
    status: state.status,
    description: describeGateState(state),
    done: state.status !== 'pending',
  };
}

/** Cuts at a character boundary (never inside a surrogate pair) and marks the cut with "…". */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('')}…`;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest === 0 ? `${m}m` : `${m}m${rest}s`;
}
