import { createHash } from 'node:crypto';
import { GATES_STATUS_CONTEXT } from '../../gates/index.js';
import { acquireRepoLock } from '../../git/index.js';
import type { Logger } from '../../logger/index.js';
import { parsePromotionBranch, reconcileApp } from '../../promotion/index.js';
import { noGatesStatus } from '../../promotion/no-gates-status.js';
import { settleRequesters } from '../../promotion/requesters.js';
import type { ReconcileJob } from '../../queue/reconcile-queue.js';
import { redisKeys } from '../../redis/index.js';
import { verifies } from '../../rollout/runtime/index.js';
import { repoRef } from '../../scm/index.js';
import { requiredStatusContexts } from '../../setup/wanted-protection.js';
import type { WorkerParts } from '../parts.js';

/** How long a `promobot/freeze` status set on a PR head stands before a reconcile sets it again anyway. */
const FREEZE_STATUS_REASSERT_S = 15 * 60;

/** A reconcile job: the job, its logger (with the job's trace), and when it was asked for (epoch ms). */
export type ReconcileHandler = (job: ReconcileJob, logger: Logger, enqueuedAt: number) => Promise<void>;

/**
 * The reconcile job (reconcile queue): under the app's lock, `reconcileApp` brings the app's promotion PRs in line
 * with its policy; this wires its effects: gates started on a candidate, the PR's state told of candidates and
 * merges, notifications, watches after a merge, the board published, another reconcile after a merge.
 */
export function reconcile(parts: WorkerParts): ReconcileHandler {
  const keys = redisKeys(parts.prefix);
  const { redis, pullRequests, gates, rolloutVerifier, notify } = parts;
  return async (job, jobLogger, enqueuedAt) => {
    const policy = parts.policies.current().find((p) => p.metadata.name === job.policy);
    const app = policy?.spec.apps.find((a) => a.name === job.app);
    if (!policy || !app) {
      jobLogger.info('the app is no longer in policy; nothing to reconcile');
      return;
    }
    const lease = await acquireRepoLock({
      redis,
      key: keys.appLock(job.policy, job.app),
      // Renewed every third while held; short, so a killed worker blocks the app only briefly.
      ttlMs: 15_000,
      waitMs: 10 * 60_000,
      logger: jobLogger,
    });
    try {
      // A run that started after this request was made saw everything the request is about.
      const startedKey = keys.reconciled(job.policy, job.app);
      const lastStart = Number((await redis.get(startedKey)) ?? 0);
      if (lastStart > enqueuedAt) {
        jobLogger.debug({ lastStart, enqueuedAt }, 'a later reconcile already covered this request');
        return;
      }
      const startedAt = Date.now();
      const pushed = await parts.pushes.latest(job.policy, job.app);
      const kind = policy.spec.deployRepo.scm;
      const repo = repoRef(policy.spec.deployRepo.repo);
      const scm = parts.scmFor(kind);
      // ChatOps recognises the bot's own comments by its login; learn it before anything is merged.
      const login = await parts.botLogin(kind);
      const port = parts.deployRepoPort(policy, jobLogger);
      const scheduleRecheck = (at: number, reason: string) =>
        parts.requestReconcileAt({ policy: job.policy, app: job.app, reason }, at);
      const result = await reconcileApp(policy.metadata.name, policy.spec, app, {
        scm,
        botLogin: login,
        repo,
        deployRepo: port,
        logger: jobLogger,
        now: Date.now,
        scheduleRecheck,
        ...(policy.spec.environments.some(verifies)
          ? {
              rollout: {
                check: (running) =>
                  rolloutVerifier.check({
                    policy: job.policy,
                    spec: policy.spec,
                    app,
                    running,
                    contains: (ancestor, descendant) => port.contains(ancestor, descendant),
                    scheduleRecheck,
                    logger: jobLogger,
                  }),
                publish: (pr, env, from, gate) =>
                  rolloutVerifier.publish({
                    scm,
                    repo,
                    botLogin: login,
                    pr,
                    env: env.name,
                    from,
                    gate,
                    logger: jobLogger,
                  }),
              },
            }
          : {}),
        pushed,
        settleRequesters: (pr, env, requestKind) =>
          settleRequesters({
            pending: parts.pendingRequesters,
            policy: job.policy,
            app: job.app,
            kind: requestKind,
            env,
            logger: jobLogger,
            record: (actor) =>
              pullRequests.recordRequester(kind, repo, pr.number, {
                by: actor,
                via: requestKind === 'rollback' ? 'rollback' : 'promote',
              }),
          }),
        onCandidate: async (pr, env, meta) => {
          const skipGates = meta.kind === 'rollback' && env.rollback.skipGates;
          if (gates && env.gates.length > 0 && !skipGates)
            await gates.start({
              policy: job.policy,
              app: job.app,
              env: env.name,
              repo,
              pr: pr.number,
              headSha: pr.headSha,
              candidate: {
                image: app.image,
                tag: meta.tag,
                ...(meta.digest !== undefined ? { digest: meta.digest } : {}),
                baselineTag: meta.previousTag,
              },
            });
          else if (
            (env.gates.length === 0 || skipGates) &&
            requiredStatusContexts(policy).includes(GATES_STATUS_CONTEXT)
          )
            // Branch protection requires promobot/gates on every PR into a gated policy's branch (`promobot setup`).
            await scm.setCommitStatus(repo, pr.headSha, noGatesStatus(env.name, skipGates));
          await pullRequests.onCandidate(kind, repo, pr.number, pr.headSha, meta.tag);
          await notify({
            kind: 'pr-opened',
            policy: job.policy,
            app: job.app,
            env: env.name,
            pr: pr.number,
            url: pr.url,
            sha: pr.headSha,
            summary: `${meta.kind} to ${meta.tag}`,
          });
        },
        onSoakingCandidate: (pr, _env, meta) =>
          pullRequests.onCandidate(kind, repo, pr.number, pr.headSha, meta.tag),
        mergeLock: (pr, run) => pullRequests.withPullRequestLock(kind, repo, pr.number, jobLogger, run),
        freezeOverride: (pr) => pullRequests.freezeOverride(pr),
        setFreezeStatus: async (pr, status) => {
          // Written when it changes (head, state or words), as the rollout status is; re-asserted after a while
          // anyway, so a status someone else set in promobot's name does not stand for long.
          const key = keys.freezePublished(policy.spec.deployRepo.repo, pr.number);
          const fingerprint = createHash('sha256')
            .update(JSON.stringify([pr.headSha, status]))
            .digest('hex');
          if ((await redis.get(key)) === fingerprint) return;
          await scm.setCommitStatus(repo, pr.headSha, status);
          await redis.set(key, fingerprint, 'EX', FREEZE_STATUS_REASSERT_S);
        },
        onFrozen: async (pr, env, until, reason) => {
          await notify({
            kind: 'frozen',
            policy: policy.metadata.name,
            app: app.name,
            env: env.name,
            pr: pr.number,
            url: pr.url,
            sha: pr.headSha,
            key: `u${String(until)}`,
            summary: `${reason}; merges after ${new Date(until).toISOString()}`,
          });
        },
        mergeReadiness: async (pr, env, meta) => {
          const readiness = await pullRequests.mergeReadiness(pr, env, meta);
          return readiness.ready
            ? { ...readiness, trailers: await pullRequests.mergeTrailers(pr) }
            : readiness;
        },
      });
      for (const number of result.merged) {
        await pullRequests.onMerged(kind, repo, number);
        const merged = await scm.getPullRequest(repo, number);
        const envName = parsePromotionBranch(merged.headRef)?.env;
        const mergedEnv = policy.spec.environments.find((e) => e.name === envName);
        if (envName)
          await notify({
            kind: 'merged',
            policy: job.policy,
            app: job.app,
            env: envName,
            pr: number,
            url: merged.url,
            sha: merged.mergeCommitSha ?? merged.headSha,
            summary: merged.title,
          });
        if (gates && envName && merged.mergeCommitSha && mergedEnv?.watch && verifies(mergedEnv))
          // The watch measures what runs there: it starts once the environment is verified running the merge.
          await rolloutVerifier.deferWatch(job.policy, job.app, envName, {
            pr: number,
            mergeSha: merged.mergeCommitSha,
          });
        else if (gates && envName && merged.mergeCommitSha)
          await gates.watch({
            policy: job.policy,
            app: job.app,
            env: envName,
            repo,
            pr: number,
            mergeSha: merged.mergeCommitSha,
          });
      }
      jobLogger.info(
        { reason: job.reason, actions: result.actions.map((a) => `${a.kind}:${a.env}`) },
        'app reconciled',
      );
      await parts.board.publish(job.policy, job.app, 'reconcile', jobLogger);
      if (result.merged.length > 0)
        await parts.requestReconcile(job.policy, job.app, `merged #${result.merged.join(', #')}`);
      // Only a run that finished covers the requests made before it started: a failed one is retried in full.
      await redis.set(startedKey, String(startedAt), 'EX', 7 * 24 * 3600);
    } finally {
      await lease.release().catch(() => undefined);
    }
  };
}
