import type { GateRunnerDeps } from '../gates/index.js';
import type { Logger } from '../logger/index.js';
import type { NotifyEvent } from '../notify/index.js';
import type { RollbackApp } from './rollback-app.js';

/**
 * What promotion does when the gate runner reports: each round is recorded (the release board charts it) and, once
 * the gates settle, notified; a failed watch opens a rollback PR with the watch's report as evidence.
 */
export function gateReactions(deps: {
  recordRound: NonNullable<GateRunnerDeps['onRound']>;
  notify: (event: Omit<NotifyEvent, 'at'>) => Promise<void>;
  rollback: RollbackApp;
  logger: Logger;
}): Required<Pick<GateRunnerDeps, 'onRound' | 'onWatchFailed'>> {
  return {
    onRound: async (target, evidence, state) => {
      await deps.recordRound(target, evidence, state);
      if (state.status !== 'pending')
        await deps.notify({
          kind: state.status === 'success' ? 'gates-passed' : 'gates-failed',
          policy: target.policy,
          app: target.app,
          env: target.env,
          pr: target.pr,
          sha: target.headSha,
          summary: evidence.reason ?? `gates ${state.status}`,
        });
    },
    onWatchFailed: async (failure) => {
      const result = await deps.rollback(failure.policy, failure.app, failure.env, undefined, failure.report);
      if ('refused' in result)
        deps.logger.warn(
          { ...failure, reason: result.refused },
          'watch failed, and no rollback PR could be opened',
        );
    },
  };
}

/** A failed rollout verification opens a rollback PR with the verification's evidence; a refusal is logged. */
export function rollbackOnFailedVerification(
  rollback: RollbackApp,
  logger: Logger,
): (policy: string, app: string, env: string, evidence: string) => Promise<void> {
  return async (policy, app, env, evidence) => {
    const result = await rollback(policy, app, env, undefined, evidence);
    if ('refused' in result)
      logger.warn(
        { policy, app, env, reason: result.refused },
        'verification failed, and no rollback PR could be opened',
      );
  };
}
