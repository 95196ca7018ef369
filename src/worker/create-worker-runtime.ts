import { createBoardPublisher } from '../board/board-publisher.js';
import { createChatopsRuntime } from '../chatops/index.js';
import type { Config } from '../config/index.js';
import { ConfigError, PromobotError, errorMessage } from '../errors/index.js';
import type { ScmKind } from '../events/index.js';
import { createGateRunner, createPrometheusClient } from '../gates/index.js';
import { createStopRuntime } from '../governance/stop-runtime.js';
import { createArgoCdClient } from '../hosts/argocd/index.js';
import type { Logger } from '../logger/index.js';
import type { Metrics } from '../metrics/index.js';
import { createNotifier, createNotifyWorker, type NotifyEvent } from '../notify/index.js';
import {
  createPolicyStore,
  findByDeployRepo,
  type PolicyStore,
  type PromotionPolicy,
} from '../policy/index.js';
import { createDeployRepoPort } from '../promotion/index.js';
import { gateReactions, rollbackOnFailedVerification } from '../promotion/gate-reactions.js';
import { foreignCommitsOnce, sourceRollout } from '../promotion/pull-request-checks.js';
import { createPromotionPullRequests, type ResolvedRepo } from '../promotion/pull-request-state/index.js';
import { createPushRecord } from '../promotion/pushes.js';
import { createPendingRequesters } from '../promotion/requesters.js';
import { rollbackApp } from '../promotion/rollback-app.js';
import type { HandlerRegistry } from '../queue/index.js';
import { createReconcileQueue, createReconcileWorker } from '../queue/reconcile-queue.js';
import { connectRedis } from '../redis/index.js';
import { createRolloutVerifier } from '../rollout/runtime/index.js';
import { repoRef } from '../scm/index.js';
import { approverCheck, commandsIn, stopCommandsIn } from './chatops-for-promotion.js';
import { createDeployRepos } from './deploy-repos.js';
import { commentCreated } from './handlers/comment-created.js';
import { imagePushed } from './handlers/image-pushed.js';
import { pullRequestChanged } from './handlers/pull-request-changed.js';
import { pushReceived } from './handlers/push-received.js';
import { reconcile } from './handlers/reconcile.js';
import { reviewSubmitted } from './handlers/review-submitted.js';
import { rolloutObserved } from './handlers/rollout-observed.js';
import type { WorkerParts } from './parts.js';
import { missingSettings } from './required-settings.js';
import { createScmHosts } from './scm-hosts.js';

export interface WorkerRuntimeOptions {
  config: Config;
  logger: Logger;
  /** Source of PATH and HOME for git; the process environment by default. */
  gitBaseEnv?: NodeJS.ProcessEnv;
  /** Where commands that could not be decided, notifications and board changes are counted. */
  metrics?: Metrics;
}

export interface WorkerRuntime {
  /** Handlers for the events queue: one per event kind, each in `worker/handlers/`. */
  readonly handlers: HandlerRegistry;
  /** The policy set the jobs work from (reloaded on SIGHUP by the CLI). */
  readonly policies: PolicyStore;
  /** Starts the reconcile, gate and notify workers and reconciles every app once, to catch up on what was missed. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The worker's composition root: wiring only, made per process from the configuration (nothing at module level).
 * The hosts, deploy repos, queues, gates, rollout verifier, notifier and board are built here and handed to
 * promotion's parts (the PRs' state, rollbacks, pushes) and to ChatOps; the events queue's handlers and the
 * reconcile job (`handlers/`) act through them. Imports go one way: worker → chatops → promotion, worker → board.
 */
export async function createWorkerRuntime(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const { config, metrics } = options;
  const prefix = config.queuePrefix;
  const logger = options.logger.child({ component: 'promotion' });
  const redis = connectRedis(config.redisUrl, { kind: 'blocking' });
  const policies = createPolicyStore({ dir: config.policiesDir, logger });
  await policies.load();
  const missing = missingSettings(config, policies.current());
  if (missing.length > 0) {
    redis.disconnect();
    throw new ConfigError(missing);
  }
  const stopWatching = policies.watch({ intervalMs: 10_000 });
  const policyNamed = (name: string) => policies.current().find((p) => p.metadata.name === name);

  const hosts = createScmHosts(config, logger);
  const { scmFor, botLogin } = hosts;
  const repos = createDeployRepos({ config, redis, logger, hosts, gitBaseEnv: options.gitBaseEnv });
  const deployRepoPort = (policy: PromotionPolicy, log: Logger) =>
    createDeployRepoPort(repos.deployRepoFor(policy), config.git.authorEmail, log);

  const queue = createReconcileQueue({ redisUrl: config.redisUrl, prefix });
  const requestReconcile = (policy: string, app: string, reason: string, at?: number) =>
    queue.request({ policy, app, reason }, at);

  // Notifications: an emit only enqueues (never throws, waits at most a few seconds); the notify worker sends.
  const notifier = createNotifier({
    redisUrl: config.redisUrl,
    prefix,
    logger,
    sinksOf: (name) => policyNamed(name)?.spec.notify ?? [],
  });
  const notifyWorker = createNotifyWorker({
    redisUrl: config.redisUrl,
    prefix,
    concurrency: config.concurrency,
    logger,
    finished: (sink, outcome) => metrics?.notification(sink.kind, outcome),
  });
  const notify = async (event: Omit<NotifyEvent, 'at'>) => {
    await notifier.notify({ ...event, sha: event.sha.toLowerCase(), at: new Date().toISOString() });
  };

  const rollback = rollbackApp({
    policyNamed,
    scmFor,
    botLogin,
    deployRepoPort,
    notify,
    requestReconcile,
    logger,
  });

  // The release board's read model: each reconcile ends by publishing the app's snapshot for `serve` to show.
  const board = createBoardPublisher({
    redis,
    prefix,
    logger,
    policies: () => policies.current(),
    metrics,
    prometheusUrl: config.prometheus.url,
    sources: async (policy, log) => ({
      scm: scmFor(policy.spec.deployRepo.scm),
      botLogin: await botLogin(policy.spec.deployRepo.scm),
      deployRepo: deployRepoPort(policy, log),
    }),
  });

  const resolvePolicy = (name: string) => {
    const policy = policyNamed(name);
    return policy ? { policy, scm: scmFor(policy.spec.deployRepo.scm) } : null;
  };
  const prometheus = config.prometheus.url
    ? createPrometheusClient({
        url: config.prometheus.url,
        bearerToken: config.prometheus.bearerToken,
        username: config.prometheus.username,
        password: config.prometheus.password,
        timeoutMs: config.prometheus.timeoutMs,
        logger,
      })
    : null;
  const gates = prometheus
    ? createGateRunner({
        redisUrl: config.redisUrl,
        prefix,
        logger,
        prometheus,
        prometheusUrl: config.prometheus.url,
        timing: config.worker,
        resolve: resolvePolicy,
        onSettled: (policy, app) => requestReconcile(policy, app, 'gates settled'),
        ...gateReactions({ recordRound: board.recordRound, notify, rollback, logger }),
      })
    : null;

  // Rollout verification: the trusted record of what really runs where, kept in Redis (src/rollout/runtime).
  const argocd =
    config.argocd.url && config.argocd.token
      ? createArgoCdClient({
          url: config.argocd.url,
          token: config.argocd.token,
          caFile: config.argocd.caFile,
          logger,
        })
      : null;
  const rolloutVerifier = createRolloutVerifier({
    redis,
    prefix,
    logger,
    argocd,
    prometheus,
    rollback: rollbackOnFailedVerification(rollback, logger),
    startWatch: async (policy, app, env, watch) => {
      const resolved = resolvePolicy(policy);
      if (gates && resolved)
        await gates.watch({
          policy,
          app,
          env,
          repo: repoRef(resolved.policy.spec.deployRepo.repo),
          pr: watch.pr,
          mergeSha: watch.mergeSha,
        });
    },
  });

  // A repo is ours once the bot's login there is known (the handlers learn it before handing a comment over).
  const resolveRepo = (kind: ScmKind, fullName: string): ResolvedRepo | null => {
    const [policy] = findByDeployRepo(policies.current(), kind, fullName);
    const login = hosts.knownBotLogin(kind);
    return policy && login ? { policy, scm: scmFor(kind), botLogin: login } : null;
  };
  // The deploy repos' global stops (`/hold <scope>` on an issue): ChatOps carries the commands out, the PRs' state
  // reads them into every merge decision.
  const stops = createStopRuntime({ redis, prefix, commandsIn: stopCommandsIn });
  const pullRequests = createPromotionPullRequests({
    redis,
    prefix,
    logger,
    resolve: resolveRepo,
    policyNamed,
    gateStatus: async (repo, pr, headSha) => (gates ? gates.status(repo, pr, headSha) : 'pending'),
    stateKeys: config.stateKeys,
    approverCheck,
    commandsIn,
    stops,
    requestReconcile,
    notify,
    rollout: sourceRollout(rolloutVerifier),
    hasForeignCommits: foreignCommitsOnce(deployRepoPort, logger),
  });
  if (config.stateKeys.length === 0)
    logger.warn(
      'PROMOBOT_STATE_KEY is not set: a promotion PR whose ChatOps state Redis loses is held until a writer says /unhold',
    );
  const pendingRequesters = createPendingRequesters(redis, prefix);

  const chatops = createChatopsRuntime({
    redis,
    prefix,
    logger,
    resolve: resolveRepo,
    pullRequests,
    stops,
    requestReconcile,
    recordRequester: (policy, app, env, actor, via) =>
      pendingRequesters.add(policy, app, via === 'rollback' ? 'rollback' : 'promotion', env, actor),
    rollback: (policy, app, env, toTag) => rollback(policy, app, env, toTag),
    notify,
    // promobot writes the heads of its PRs: the committer time is when it wrote them, from its own clone.
    headWrittenAt: async (policy, branch, headSha) => {
      const commits = await repos.deployRepoFor(policy).branchCommits(branch);
      const head = commits.find((c) => c.commit === headSha);
      return head === undefined || !Number.isFinite(head.committedAt) ? null : head.committedAt;
    },
    onCommandError: (reason) => metrics?.commandError(reason),
    approveAfterHeadMarginMs: config.approveAfterHeadMarginMs,
  });

  const parts: WorkerParts = {
    redis,
    prefix,
    policies,
    deployRepoFor: repos.deployRepoFor,
    deployRepoPort,
    scmFor,
    botLogin,
    pullRequests,
    pendingRequesters,
    rolloutVerifier,
    gates,
    board,
    notify,
    requestReconcile,
    requestReconcileAt: (job, at) => queue.request(job, at),
    pushes: createPushRecord(redis, prefix),
  };
  const handlers: HandlerRegistry = {
    ImagePushed: imagePushed(parts),
    PullRequestChanged: pullRequestChanged(parts),
    CommentCreated: commentCreated(parts, chatops),
    ReviewSubmitted: reviewSubmitted(parts, chatops),
    RolloutObserved: rolloutObserved(parts),
    PushReceived: pushReceived(parts),
  };
  const reconcileWorker = createReconcileWorker({
    redisUrl: config.redisUrl,
    prefix,
    concurrency: config.concurrency,
    logger,
    run: reconcile(parts),
    timing: config.worker,
  });

  let closing: Promise<void> | undefined;
  return {
    handlers,
    policies,
    async start() {
      repos.startMaintenance();
      await reconcileWorker.waitUntilReady();
      await gates?.waitUntilReady();
      await notifyWorker.waitUntilReady();
      for (const policy of policies.current()) {
        for (const app of policy.spec.apps)
          await requestReconcile(policy.metadata.name, app.name, 'start-up');
      }
      // Say once, plainly, when a code host cannot be used at all (down, a placeholder token): the retries that
      // follow only warn once a minute, and `doctor` has the whole checklist.
      const kinds = new Set(policies.current().map((p) => p.spec.deployRepo.scm));
      for (const kind of kinds) {
        botLogin(kind).then(
          (login) => logger.info({ scm: kind, login }, 'code host answers'),
          (error: unknown) =>
            logger.error(
              {
                scm: kind,
                url: kind === 'gitea' ? config.gitea.url : config.github.apiUrl,
                reason: errorMessage(error),
                ...(error instanceof PromobotError && error.advice ? { advice: error.advice } : {}),
              },
              `promobot cannot use ${kind === 'gitea' ? 'Gitea' : 'GitHub'}: it keeps retrying, but nothing will move until this is fixed; \`promobot doctor\` lists every fix`,
            ),
        );
      }
    },
    close() {
      closing ??= (async () => {
        repos.stopMaintenance();
        stopWatching();
        await reconcileWorker.close();
        await gates?.close();
        await notifyWorker.close();
        await notifier.close();
        await queue.close();
        redis.disconnect();
      })();
      return closing;
    },
  };
}
