import { z } from 'zod';
import { parseDuration, type Gating } from '../../policy/schema.js';
import { Verdict } from '../evidence.js';
import { STATUS_DESCRIPTION_MAX, truncate } from '../rounds.js';

export const WatchStatus = z.enum(['watching', 'healthy', 'failed', 'inconclusive']);
export type WatchStatus = z.infer<typeof WatchStatus>;

/**
 * Where a post-promotion watch stands: plain JSON (times in epoch ms, wall clock) kept in the round job and in Redis,
 * like `GateState`. Unlike a soak, a watch does not end on passes: it runs until `endsAt` unless failures end it.
 */
export const WatchState = z.object({
  version: z.literal(1),
  startedAt: z.number(),
  endsAt: z.number(),
  intervalMs: z.number().int().positive(),
  failureLimit: z.number().int().min(1),
  round: z.number().int().min(0),
  passes: z.number().int().min(0),
  failures: z.number().int().min(0),
  inconclusive: z.number().int().min(0),
  lastOutcome: Verdict.nullable(),
  lastReason: z.string().nullable(),
  status: WatchStatus,
  conclusion: z.string().nullable(),
});
export type WatchState = z.infer<typeof WatchState>;

/** The state before the first round of a watch lasting `watch` (a duration) under the environment's `gating`. */
export function initialWatchState(gating: Gating, watch: string, now: number): WatchState {
  return {
    version: 1,
    startedAt: now,
    endsAt: now + parseDuration(watch),
    intervalMs: parseDuration(gating.interval),
    failureLimit: gating.failureLimit,
    round: 0,
    passes: 0,
    failures: 0,
    inconclusive: 0,
    lastOutcome: null,
    lastReason: null,
    status: 'watching',
    conclusion: null,
  };
}

/**
 * Counts one watch round. `failureLimit` failing rounds end it `failed` (the caller rolls back). Otherwise it ends
 * once `endsAt` has come: `healthy` when at least one round passed, `inconclusive` when none did — missing data is
 * never called healthy, but neither is it a reason to roll a release back. A finished watch never changes.
 */
export function nextWatchState(
  state: WatchState,
  round: { outcome: Verdict; reason: string },
  now: number,
): WatchState {
  if (state.status !== 'watching') return state;
  const next: WatchState = {
    ...state,
    round: state.round + 1,
    lastOutcome: round.outcome,
    lastReason: round.reason,
  };
  if (round.outcome === 'pass') next.passes += 1;
  else if (round.outcome === 'fail') next.failures += 1;
  else next.inconclusive += 1;

  if (next.failures >= next.failureLimit) {
    next.status = 'failed';
    next.conclusion = `failed ${next.failures} of ${next.round} rounds: ${round.reason}`;
  } else if (now >= next.endsAt) {
    next.status = next.passes > 0 ? 'healthy' : 'inconclusive';
    next.conclusion =
      next.passes > 0
        ? `healthy: ${next.passes} of ${next.round} rounds passed`
        : `no round was conclusive in ${next.round}: ${round.reason}`;
  }
  return next;
}

/** The `promobot/watch` commit status for a watch: pending while watching, failure only when it failed. */
export function watchCommitStatus(state: WatchState): {
  context: string;
  state: 'pending' | 'success' | 'failure';
  description: string;
} {
  const description =
    state.status === 'watching'
      ? `watching until ${new Date(state.endsAt).toISOString()}: round ${state.round}, failing rounds ${state.failures} (rolls back at ${state.failureLimit})`
      : `watch ${state.conclusion ?? state.status}`;
  return {
    context: WATCH_STATUS_CONTEXT,
    state: state.status === 'watching' ? 'pending' : state.status === 'failed' ? 'failure' : 'success',
    description: truncate(description, STATUS_DESCRIPTION_MAX),
  };
}

/** The commit status context of the post-promotion watch, on the merge commit. */
export const WATCH_STATUS_CONTEXT = 'promobot/watch';

/** Hidden first line of the one watch comment per merged PR. */
export const WATCH_COMMENT_MARKER = '<!-- promobot:watch -->';
