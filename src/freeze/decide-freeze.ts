import { CronExpressionParser } from 'cron-parser';
import type { CommitStatus } from '../scm/types.js';
import {
  parseDuration,
  type Environment,
  type Freeze,
  type FreezeWindow,
  type PolicySpec,
} from '../policy/schema.js';

/** The commit status a policy with freeze windows sets on every promotion and rollback PR. */
export const FREEZE_STATUS_CONTEXT = 'promobot/freeze';

export interface FreezeDecision {
  readonly frozen: boolean;
  /** When the freeze ends (epoch ms; windows that follow on without a gap count as one); null when not frozen. */
  readonly until: number | null;
  /** The reasons of the open windows, joined; null when not frozen. */
  readonly reason: string | null;
}

/** How many windows that follow on from each other are joined into one freeze. */
const MAX_CHAIN = 20;

/** The end of the window of `w` open at `at`, or null when none is. Pure. */
function openWindowEnd(w: FreezeWindow, at: number): number | null {
  if (w.from !== undefined && w.to !== undefined) {
    const from = Date.parse(w.from);
    const to = Date.parse(w.to);
    return from <= at && at < to ? to : null;
  }
  if (w.cron === undefined) return null;
  // Only the newest start at or before `at` matters: an older window ends no later than it (the same duration
  // from an earlier start; or the first `endCron` time after an earlier start, which is no later).
  let start: number;
  try {
    start = CronExpressionParser.parse(w.cron, { currentDate: new Date(at + 1), tz: w.timeZone })
      .prev()
      .getTime();
  } catch {
    return null;
  }
  const end =
    w.duration !== undefined
      ? start + parseDuration(w.duration)
      : CronExpressionParser.parse(w.endCron!, { currentDate: new Date(start), tz: w.timeZone })
          .next()
          .getTime();
  return at < end ? end : null;
}

/** The windows that bind `env` for this kind of PR: the policy's and the environment's own. */
function bindingWindows(spec: PolicySpec, env: Environment, kind: 'promotion' | 'rollback'): FreezeWindow[] {
  const groups: (Freeze | undefined)[] = [spec.freeze, env.freeze];
  return groups.flatMap((g) => (g && (kind === 'promotion' || g.freezeRollbacks) ? g.windows : []));
}

/**
 * Pure: whether promotions into `env` are frozen at `now`, until when, and why. A recurring window is read in its
 * time zone (cron-parser: daylight saving moves the wall-clock start, never skips or doubles it); `duration` is
 * elapsed time, `endCron` a wall-clock end. Starts are inclusive, ends exclusive. Windows that overlap or follow
 * on without a gap make one freeze, ending when the last of them does. Rollbacks are frozen only where
 * `freezeRollbacks` is set.
 */
export function decideFreeze(
  spec: PolicySpec,
  env: Environment,
  now: number,
  kind: 'promotion' | 'rollback' = 'promotion',
): FreezeDecision {
  const windows = bindingWindows(spec, env, kind);
  const reasons: string[] = [];
  let until: number | null = null;
  let at = now;
  for (let step = 0; step < MAX_CHAIN; step += 1) {
    let end: number | null = null;
    for (const w of windows) {
      const e = openWindowEnd(w, at);
      if (e === null) continue;
      end = Math.max(end ?? e, e);
      if (!reasons.includes(w.reason)) reasons.push(w.reason);
    }
    if (end === null || (until !== null && end <= until)) break;
    until = end;
    at = end;
  }
  return until === null
    ? { frozen: false, until: null, reason: null }
    : { frozen: true, until, reason: reasons.join('; ') };
}

/** Whether the policy has any freeze window at all (then every PR carries `promobot/freeze`). */
export function hasFreezeWindows(spec: PolicySpec): boolean {
  return spec.freeze !== undefined || spec.environments.some((e) => e.freeze !== undefined);
}

/** Pure: the `promobot/freeze` status for a decision (description ≤ 140 characters). */
export function freezeStatus(decision: FreezeDecision): CommitStatus {
  if (!decision.frozen)
    return { context: FREEZE_STATUS_CONTEXT, state: 'success', description: 'no freeze window open' };
  const head = `frozen until ${new Date(decision.until!).toISOString().replace('.000Z', 'Z')}: `;
  const reason = decision.reason ?? '';
  const text = `${head}${reason}`;
  return {
    context: FREEZE_STATUS_CONTEXT,
    state: 'pending',
    description: text.length > 140 ? `${text.slice(0, 139)}…` : text,
  };
}
