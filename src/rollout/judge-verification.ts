import { exponentialDelay } from '../errors/backoff.js';
import type { RolloutDecision, RolloutEvidence } from './decide-rollout.js';

/** One Application's answer in a verification round: its decision, or why Argo CD could not be asked. */
export type ApplicationAnswer =
  | { application: string; decision: RolloutDecision }
  | { application: string; error: { message: string; advice?: string | undefined } };

/** Where the candidate's verification in one environment stands after a round. */
export type Verification =
  | { state: 'verified' }
  | { state: 'waiting'; reason: string; retryInMs: number }
  | { state: 'failed'; reason: string; evidence: RolloutEvidence };

export interface VerificationRound {
  environment: string;
  answers: readonly ApplicationAnswer[];
  /** When promobot started waiting for this candidate here (its landing), and now, in ms. */
  startedAtMs: number;
  nowMs: number;
  /** `verify.timeout`. */
  timeoutMs: number;
  /** Rounds already made for this candidate here (0 for the first), for the backoff. */
  attempt: number;
}

const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 60_000;

/**
 * Pure: verified only when every Application is verified; failed as soon as one fails (with its evidence), or when
 * the timeout passes without verification (the last reasons are the evidence); otherwise waiting, polled again
 * with backoff (5 s doubling to 60 s, never past the deadline). An Application Argo CD could not be asked about
 * (down, 403, 404) is never a pass: it keeps the round waiting, with the reason and the fix.
 */
export function judgeVerification(round: VerificationRound): Verification {
  const { answers, environment } = round;
  for (const answer of answers) {
    if ('decision' in answer && answer.decision.kind === 'failed') {
      return { state: 'failed', reason: answer.decision.reason, evidence: answer.decision.evidence };
    }
  }
  const pending = answers.flatMap((answer): string[] => {
    if ('error' in answer) {
      const fix = answer.error.advice ? ` (${answer.error.advice})` : '';
      return [
        `${environment}: Argo CD could not be asked about ${answer.application}: ${answer.error.message}${fix}`,
      ];
    }
    return answer.decision.kind === 'waiting' ? [answer.decision.reason] : [];
  });
  if (answers.length > 0 && pending.length === 0) return { state: 'verified' };

  const reason = pending.length > 0 ? pending.join('; ') : `${environment}: no Application to verify`;
  const left = round.startedAtMs + round.timeoutMs - round.nowMs;
  if (left <= 0) {
    return {
      state: 'failed',
      reason: `${environment}: not verified within ${minutes(round.timeoutMs)}: ${reason}`,
      evidence: {},
    };
  }
  const backoff = exponentialDelay(Math.min(round.attempt, 10) + 1, {
    baseMs: FIRST_RETRY_MS,
    maxMs: MAX_RETRY_MS,
  });
  return { state: 'waiting', reason, retryInMs: Math.min(backoff, left) };
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}
