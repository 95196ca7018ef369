import type { Redis } from 'ioredis';
import type { Logger } from '../../logger/index.js';
import type { PromotionPolicy } from '../../policy/schema.js';
import type { ScmHost } from '../../scm/types.js';
import type { PrometheusClient } from '../prometheus-client.js';
import { runGates } from '../run-gates.js';
import { planEnvironmentWatch } from './plan-environment-watch.js';
import { parseStoredJson } from './parse-stored-json.js';
import { publishGateRound } from './publish-gate-round.js';
import { renderWatchReport } from './render-watch-report.js';
import type { WatchRoundJob } from './watch-round-job.js';
import { WatchTarget, type WatchFailure } from './watch-round-job.js';
import {
  initialWatchState,
  nextWatchState,
  WATCH_COMMENT_MARKER,
  watchCommitStatus,
  WatchState,
} from './watch-state.js';
import { redisKeys } from '../../redis/keys.js';

const STATE_TTL_MS = 14 * 24 * 3600 * 1000;

export interface WatchRoundsDeps {
  redis: Redis;
  prefix: string;
  logger: Logger;
  prometheus: PrometheusClient;
  prometheusUrl?: string | undefined;
  resolve: (policyName: string) => { policy: PromotionPolicy; scm: ScmHost } | null;
  onWatchFailed?: ((failure: WatchFailure) => Promise<void>) | undefined;
  evaluationTime: () => number;
  /** Adds a round job (idempotent by its id). */
  schedule: (job: WatchRoundJob, delayMs: number) => Promise<unknown>;
  /** Whether that round's job is in the queue (waiting, delayed, active or kept after it ran). */
  hasJob: (job: WatchRoundJob) => Promise<boolean>;
}

/**
 * The post-promotion watch, on the gate runner's queue: after a merge into an environment with `watch`, its gates
 * are evaluated there every `gating.interval` until the watch ends; `failureLimit` failing rounds hand the failure
 * to `onWatchFailed`, which opens the rollback PR. A later merge into the same environment replaces the watch.
 */
export function createWatchRounds(deps: WatchRoundsDeps) {
  const keys = redisKeys(deps.prefix);
  const currentKey = (t: Pick<WatchTarget, 'policy' | 'app' | 'env'>) =>
    keys.watchCurrent(t.policy, t.app, t.env);
  const stateKey = (t: Pick<WatchTarget, 'policy' | 'app' | 'env' | 'mergeSha'>) =>
    keys.watchState(t.policy, t.app, t.env, t.mergeSha);

  const readState = async (t: WatchTarget): Promise<WatchState | null> => {
    const raw = await deps.redis.get(stateKey(t));
    if (raw === null) return null;
    return parseStoredJson(WatchState, raw);
  };
  const writeState = (t: WatchTarget, state: WatchState) =>
    deps.redis.set(stateKey(t), JSON.stringify(state), 'PX', STATE_TTL_MS);

  /** Starts watching after a merge; nothing when the environment sets no watch. Idempotent per merge commit. */
  const watch = async (input: WatchTarget): Promise<boolean> => {
    const target = WatchTarget.parse(input);
    const resolved = deps.resolve(target.policy);
    if (!resolved) return false;
    const plan = planEnvironmentWatch(resolved.policy, target.env);
    if (!plan) return false;
    const [current, known] = await Promise.all([deps.redis.get(currentKey(target)), readState(target)]);
    if (current === target.mergeSha && known !== null) {
      // Started before; a start that died before scheduling left no round to run.
      const next = { ...target, round: known.round + 1, state: known };
      if (known.status === 'watching' && !(await deps.hasJob(next)))
        await deps.schedule(next, known.round === 0 ? 0 : known.intervalMs);
      return true;
    }
    const state = initialWatchState(plan.gating, plan.watch, Date.now());
    await writeState(target, state);
    await deps.redis.set(currentKey(target), target.mergeSha, 'PX', STATE_TTL_MS);
    await resolved.scm.setCommitStatus(target.repo, target.mergeSha, watchCommitStatus(state));
    await deps.schedule({ ...target, round: 1, state }, 0);
    deps.logger.info({ ...target, repo: target.repo.fullName, until: state.endsAt }, 'watch started');
    return true;
  };

  const status = async (target: WatchTarget) => (await readState(WatchTarget.parse(target)))?.status ?? null;

  const runRound = async (job: WatchRoundJob, log: Logger): Promise<void> => {
    if ((await deps.redis.get(currentKey(job))) !== job.mergeSha) {
      log.info('a later merge replaced this watch');
      return;
    }
    const stored = await readState(job);
    if (!stored || stored.startedAt !== job.state.startedAt) return;
    if (stored.round !== job.round - 1 && stored.round !== job.round) return;
    const resolved = deps.resolve(job.policy);
    const plan = resolved ? planEnvironmentWatch(resolved.policy, job.env) : null;
    if (!resolved || !plan) {
      log.info('the environment is no longer watched');
      return;
    }

    let state = stored;
    let report: string | undefined;
    if (stored.round === job.round - 1) {
      const evidence = await runGates({
        client: deps.prometheus,
        gates: plan.gates,
        app: job.app,
        from: plan.env,
        to: plan.env,
        time: deps.evaluationTime(),
        logger: log,
      });
      state = nextWatchState(stored, evidence, Date.now());
      report = renderWatchReport({
        state,
        evidence,
        prometheusUrl: deps.prometheusUrl ?? deps.prometheus.url,
        app: job.app,
        env: job.env,
      });
      await publishGateRound(
        resolved.scm,
        { repo: job.repo, pr: job.pr, headSha: job.mergeSha },
        { commitStatus: watchCommitStatus(state), report },
        (body) => body.trimStart().startsWith(WATCH_COMMENT_MARKER),
      );
      await writeState(job, state);
      log.info({ round: state.round, outcome: evidence.outcome, status: state.status }, 'watch round done');
    }

    if (state.status === 'watching') {
      await deps.schedule({ ...job, round: job.round + 1, state }, state.intervalMs);
      return;
    }
    if (state.status !== 'failed') return;
    if (!deps.onWatchFailed) {
      log.error({ reason: state.conclusion }, 'the watch failed and nothing is set to roll back');
      return;
    }
    if (report === undefined) {
      // Retried after a crash: the comment holds the evidence of the round that failed.
      const comments = await resolved.scm.listComments(job.repo, job.pr);
      report = comments.find((c) => c.body.trimStart().startsWith(WATCH_COMMENT_MARKER))?.body ?? '';
    }
    const { round: _round, state: _state, ...target } = job;
    await deps.onWatchFailed({ ...target, reason: state.conclusion ?? 'the watch failed', report });
  };

  return { watch, status, runRound };
}
