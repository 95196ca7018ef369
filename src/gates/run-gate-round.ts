import type { RoundEvidence } from './evidence.js';
import { gatesCommitStatus, renderReport } from './render-report.js';
import { nextGateState, nextRoundAt, type GateState, type GateStep } from './rounds.js';
import { runGates, type RunGatesInput } from './run-gates.js';

export interface RunGateRoundInput extends Omit<RunGatesInput, 'time'> {
  /** The soak so far, as stored in the job data (`GateState.parse` it first). */
  state: GateState;
  /** Prometheus as people reach it, for the report's links; the client's URL when absent. */
  prometheusUrl?: string | undefined;
  /** Now, epoch ms; also the evaluation time of the queries. */
  now?: number | undefined;
}

export interface GateRound {
  evidence: RoundEvidence;
  step: GateStep;
  /** The body of the one gates comment (create it, or edit the comment `isGatesComment` finds). */
  report: string;
  /** The `promobot/gates` commit status to set on the PR head. */
  commitStatus: ReturnType<typeof gatesCommitStatus>;
  /** When to schedule the next round (epoch ms, for a bullmq `delay`); null once the soak is done. */
  nextRoundAt: number | null;
}

/**
 * Everything a scheduled round job does besides talking to the SCM and the queue: run the gates, count the round,
 * render the comment and the status, and say when the next round is due. The caller stores `step.state` in the next
 * job's data, so a restart resumes where it stopped.
 *
 * @example
 * const round = await runGateRound({ client, gates, app, from, to, state: GateState.parse(job.data.state) });
 * await scm.setCommitStatus(repo, headSha, round.commitStatus);
 * if (round.nextRoundAt !== null) await queue.add('gate-round', { ...job.data, state: round.step.state },
 *   { delay: round.nextRoundAt - Date.now() });
 */
export async function runGateRound(input: RunGateRoundInput): Promise<GateRound> {
  const { state, prometheusUrl, now: givenNow, ...rest } = input;
  const now = givenNow ?? Date.now();
  const evidence = await runGates({ ...rest, time: now });
  const step = nextGateState(
    state,
    { outcome: evidence.outcome, reason: evidence.reason, round: state.round + 1 },
    now,
  );
  const report = renderReport({
    state: step.state,
    evidence,
    prometheusUrl: prometheusUrl ?? input.client.url,
    app: input.app,
    from: input.from.name,
    to: input.to.name,
  });
  return {
    evidence,
    step,
    report,
    commitStatus: gatesCommitStatus(step.state),
    nextRoundAt: step.done ? null : nextRoundAt(step.state),
  };
}
