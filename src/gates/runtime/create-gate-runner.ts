import { Queue } from 'bullmq';
import { PermanentError } from '../../errors/index.js';
import type { RepoRef } from '../../events/index.js';
import type { Logger } from '../../logger/index.js';
import type { PromotionPolicy } from '../../policy/schema.js';
import { createJobWorker, jobKind, traced, type WorkerTiming } from '../../queue/create-job-worker.js';
import { retainedJobOptions } from '../../queue/queue-names.js';
import { connectRedis } from '../../redis/connection.js';
import { redisKeys } from '../../redis/keys.js';
import type { ScmHost } from '../../scm/types.js';
import type { RoundEvidence } from '../evidence.js';
import type { PrometheusClient } from '../prometheus-client.js';
import { gatesCommitStatus } from '../render-report.js';
import { GateState, initialGateState, type GateStatus } from '../rounds.js';
import { runGateRound } from '../run-gate-round.js';
import { GATES_QUEUE, GateRoundJob, GateTarget, gateRoundJobId } from './gate-round-job.js';
import { planEnvironmentGates } from './plan-environment-gates.js';
import { createWatchRounds } from './create-watch-rounds.js';
import { parseStoredJson } from './parse-stored-json.js';
import { publishGateRound } from './publish-gate-round.js';
import { WatchRoundJob, watchRoundJobId, type WatchFailure, type WatchTarget } from './watch-round-job.js';
import type { WatchStatus } from './watch-state.js';

// Deletes KEYS[1] only while it still holds ARGV[1]: a newer head written meanwhile stays.
const FORGET_HEAD = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

const ROUND_JOB = 'round';
const WATCH_JOB = 'watch';

/** How long a head's soak state stays readable after its last round. */
const STATE_TTL_MS = 14 * 24 * 3600 * 1000;
/** What the state key holds for a head whose environment has no gates. */
const NO_GATES = 'none';

export interface GateRunnerDeps {
  redisUrl: string;
  /** Key and queue prefix (the configured queue prefix). */
  prefix: string;
  logger: Logger;
  prometheus: PrometheusClient;
  /** Prometheus as people reach it, for the links in the comment; the client's URL when absent. */
  prometheusUrl?: string | undefined;
  /** The policy by name as currently loaded, with the SCM host of its deploy repo; null once it is gone. */
  resolve: (policyName: string) => { policy: PromotionPolicy; scm: ScmHost } | null;
  /** Called once a head's soak ends (success or failure), so promotion can merge or report. */
  onSettled: (policyName: string, app: string) => Promise<void>;
  /**
   * Evaluation time of a round's queries (epoch ms); now by default. Tests point it into generated history. It is
   * also the round's clock for `maxInconclusive`, so the soak's notion of time and the data's agree.
   */
  evaluationTime?: (() => number) | undefined;
  /**
   * Called when a post-promotion watch fails (part of `watch`): promotion opens the rollback PR to the previous tag
   * with `failure.report` as evidence, and merges it when the environment's `rollback.autoMerge` says so.
   */
  onWatchFailed?: ((failure: WatchFailure) => Promise<void>) | undefined;
  /** Told of each round once it is on the PR and stored (the release board charts it); never fails the round. */
  onRound?: ((target: GateTarget, evidence: RoundEvidence, state: GateState) => Promise<void>) | undefined;
  /** Rounds run at once across PRs; default 4. */
  concurrency?: number | undefined;
  /** Lock and stalled-check timing of the gates worker; bullmq's defaults when absent. */
  timing?: WorkerTiming | undefined;
}

/** What a promotion PR's head has from its gates. `none`: its environment has no gates. */
export type GateRunStatus = 'none' | GateStatus;

export interface GateRunner {
  /**
   * Starts the soak of the environment's gates on this PR head: sets `promobot/gates` pending at once and schedules
   * round 1. Idempotent per (PR, head); a new head starts over from round 1, and the old head's rounds stop.
   */
  start(target: GateTarget): Promise<void>;
  /**
   * Where the head's soak stands. `pending` for a head nothing was started for (never a pass on missing
   * knowledge): call `start` first, it is cheap to repeat.
   */
  status(repo: RepoRef, pr: number, headSha: string): Promise<GateRunStatus>;
  /**
   * After a merge into an environment with `watch`: keeps evaluating its gates there (absolute thresholds only) for
   * that long, with the `promobot/watch` status on the merge commit and one watch comment on the PR; on failure calls
   * `onWatchFailed`. Resolves false when the environment is not watched. Idempotent per merge commit; a later merge
   * into the same environment replaces the watch.
   */
  watch(target: WatchTarget): Promise<boolean>;
  /** Where the watch of that merge stands; null when none was started. */
  watchStatus(target: WatchTarget): Promise<WatchStatus | null>;
  waitUntilReady(): Promise<void>;
  /** Stops the worker and the queue; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Carries out gate soaks: each round is a delayed bullmq job on the `gates` queue carrying the soak's state, so a
 * restart resumes where it stopped. A round checks the PR is still open at that head, runs the gates against
 * Prometheus, updates the status and the one gates comment, stores the state (for `status`), and either schedules
 * the next round after `gating.interval` or, once the soak is done, calls `onSettled`.
 *
 * @example
 * const gates = createGateRunner({ redisUrl, prefix, logger, prometheus, resolve, onSettled: requestReconcile });
 * await gates.start({ policy: 'chat', app: 'chat-ui', env: 'prod', repo, pr: pr.number, headSha: pr.headSha });
 * if ((await gates.status(repo, pr.number, pr.headSha)) === 'success') await merge();
 */
export function createGateRunner(deps: GateRunnerDeps): GateRunner {
  const logger = deps.logger.child({ component: 'gates' });
  const evaluationTime = deps.evaluationTime ?? Date.now;
  const redis = connectRedis(deps.redisUrl, { kind: 'blocking' });
  const queueConnection = connectRedis(deps.redisUrl, { kind: 'blocking' });
  const queue = new Queue<GateRoundJob | WatchRoundJob>(GATES_QUEUE, {
    connection: queueConnection,
    prefix: deps.prefix,
  });

  const keys = redisKeys(deps.prefix);
  const headKey = (repo: RepoRef, pr: number) => keys.gatesHead(repo.fullName, pr);
  const stateKey = (repo: RepoRef, pr: number, sha: string) => keys.gatesState(repo.fullName, pr, sha);

  const readState = async (repo: RepoRef, pr: number, sha: string): Promise<GateState | 'none' | null> => {
    const raw = await redis.get(stateKey(repo, pr, sha));
    if (raw === null) return null;
    if (raw === NO_GATES) return NO_GATES;
    return parseStoredJson(GateState, raw);
  };
  const writeState = (repo: RepoRef, pr: number, sha: string, state: GateState | 'none') =>
    redis.set(
      stateKey(repo, pr, sha),
      state === NO_GATES ? NO_GATES : JSON.stringify(state),
      'PX',
      STATE_TTL_MS,
    );

  // Each round carries the trace of the job that scheduled it: a soak's lines name the push that opened its PR.
  const schedule = (job: GateRoundJob, delayMs: number) =>
    queue.add(ROUND_JOB, traced(GateRoundJob.parse(job)), retainedJobOptions(gateRoundJobId(job), delayMs));
  const watchRounds = createWatchRounds({
    redis,
    prefix: deps.prefix,
    logger,
    prometheus: deps.prometheus,
    prometheusUrl: deps.prometheusUrl,
    resolve: deps.resolve,
    onWatchFailed: deps.onWatchFailed,
    evaluationTime,
    schedule: (job, delayMs) =>
      queue.add(
        WATCH_JOB,
        traced(WatchRoundJob.parse(job)),
        retainedJobOptions(watchRoundJobId(job), delayMs),
      ),
    hasJob: async (job) => (await queue.getJob(watchRoundJobId(job))) !== undefined,
  });

  const resolveOrThrow = (policyName: string) => {
    const resolved = deps.resolve(policyName);
    if (!resolved) throw new PermanentError(`no policy named ${JSON.stringify(policyName)} is loaded`);
    return resolved;
  };

  const start = async (input: GateTarget): Promise<void> => {
    const target = GateTarget.parse(input);
    const { repo, pr, headSha } = target;
    const log = logger.child({ policy: target.policy, app: target.app, env: target.env, pr, headSha });
    const { policy, scm } = resolveOrThrow(target.policy);
    const plan = planEnvironmentGates(policy, target.env);
    if (!plan) {
      await writeState(repo, pr, headSha, NO_GATES);
      return;
    }
    const [previousHead, known] = await Promise.all([
      redis.get(headKey(repo, pr)),
      readState(repo, pr, headSha),
    ]);
    if (previousHead === headSha && known !== null && known !== NO_GATES) {
      // Started before; a start that died between storing the state and scheduling left no round to run.
      const next = { ...target, round: known.round + 1, state: known };
      if (known.status === 'pending' && !(await queue.getJob(gateRoundJobId(next)))) {
        await schedule(next, known.round === 0 ? 0 : known.intervalMs);
        log.warn({ round: next.round }, 'rescheduled a lost gate round');
      }
      return;
    }

    // Wall-clock start: it is part of the round job ids, which must differ between two soaks of one head.
    const state = initialGateState(plan.gating, Date.now());
    // The state first: a round of this head that finds the head key checks against it.
    await writeState(repo, pr, headSha, state);
    await redis.set(headKey(repo, pr), headSha, 'PX', STATE_TTL_MS);
    // Status before round 1 exists, so it never lands after round 1's; a start that fails here is retried and
    // finds no round scheduled (above).
    await scm.setCommitStatus(repo, headSha, gatesCommitStatus(state));
    await schedule({ ...target, round: 1, state }, 0);
    log.info(
      { previousHead, gates: plan.gates.map((g) => g.name), from: plan.from.name },
      previousHead !== null && previousHead !== headSha ? 'gates restarted for a new head' : 'gates started',
    );
  };

  const runRound = async (job: GateRoundJob, log: Logger): Promise<void> => {
    const { repo, pr, headSha } = job;
    const current = await redis.get(headKey(repo, pr));
    if (current !== headSha) {
      log.info({ current }, 'the PR has a newer head; this head’s rounds stop');
      return;
    }
    const stored = await readState(repo, pr, headSha);
    if (stored === null || stored === NO_GATES || stored.startedAt !== job.state.startedAt) {
      log.info('a newer soak of this head replaced this one');
      return;
    }
    if (stored.round !== job.round - 1 && stored.round !== job.round) {
      log.debug({ storedRound: stored.round }, 'this round is not the next one of the soak');
      return;
    }
    const resolved = deps.resolve(job.policy);
    if (!resolved) {
      log.info('the policy is gone; the rounds stop');
      return;
    }

    let state = stored;
    // stored.round === job.round: this round counted before a crash; only what follows it is redone.
    if (stored.round === job.round - 1) {
      const { scm, policy } = resolved;
      const pull = await scm.getPullRequest(repo, pr);
      if (pull.state !== 'open' || pull.headSha !== headSha) {
        log.info({ state: pull.state, head: pull.headSha }, 'the PR is closed or moved on; the rounds stop');
        // Forget the head, so a later start of it (the PR reopened, a push undone) begins a new soak.
        await redis.eval(FORGET_HEAD, 1, headKey(repo, pr), headSha);
        return;
      }
      const plan = planEnvironmentGates(policy, job.env);
      if (!plan) {
        await writeState(repo, pr, headSha, NO_GATES);
        log.info('the environment no longer has gates');
        await deps.onSettled(job.policy, job.app);
        return;
      }
      const round = await runGateRound({
        client: deps.prometheus,
        gates: plan.gates,
        app: job.app,
        from: plan.from,
        to: plan.to,
        candidate: job.candidate,
        state: stored,
        prometheusUrl: deps.prometheusUrl,
        now: evaluationTime(),
        logger: log,
      });
      // The Prometheus queries take time; a push meanwhile must not see this head's report on its PR.
      if ((await redis.get(headKey(repo, pr))) !== headSha) {
        log.info('the PR got a newer head during the round; its result is dropped');
        return;
      }
      await publishGateRound(scm, job, round);
      await writeState(repo, pr, headSha, round.step.state);
      await deps.onRound?.(job, round.evidence, round.step.state);
      state = round.step.state;
      log.info(
        {
          round: state.round,
          outcome: round.evidence.outcome,
          status: state.status,
          reason: round.evidence.reason,
        },
        'gate round done',
      );
    }

    if (state.status !== 'pending') await deps.onSettled(job.policy, job.app);
    else await schedule({ ...job, round: job.round + 1, state }, state.intervalMs);
  };

  const roundKind = jobKind({
    schema: GateRoundJob,
    what: 'gate round',
    data: 'gate round job',
    fields: (data) => ({
      policy: data.policy,
      app: data.app,
      env: data.env,
      pr: data.pr,
      headSha: data.headSha,
      round: data.round,
    }),
    process: (data, { logger: log }) => runRound(data, log),
  });
  const watchKind = jobKind({
    schema: WatchRoundJob,
    what: 'round',
    data: 'watch round job',
    fields: ({ policy, app, env, pr, mergeSha, round }) => ({ policy, app, env, pr, mergeSha, round }),
    process: (data, { logger: log }) => watchRounds.runRound(data, log),
  });
  const worker = createJobWorker({
    queue: GATES_QUEUE,
    redisUrl: deps.redisUrl,
    prefix: deps.prefix,
    concurrency: deps.concurrency ?? 4,
    logger,
    kindOf: (name) => (name === WATCH_JOB ? watchKind : roundKind),
    connectionErrorMessage: 'gates worker error',
    timing: deps.timing,
  });

  let closing: Promise<void> | undefined;
  return {
    start,
    async status(repo, pr, headSha) {
      const state = await readState(repo, pr, headSha);
      if (state === null) return 'pending';
      return state === NO_GATES ? 'none' : state.status;
    },
    watch: watchRounds.watch,
    watchStatus: watchRounds.status,
    waitUntilReady: () => worker.waitUntilReady().then(() => undefined),
    close() {
      closing ??= (async () => {
        await worker.close();
        await queue.close();
        queueConnection.disconnect();
        redis.disconnect();
      })();
      return closing;
    },
  };
}
