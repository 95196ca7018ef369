import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { StopCommand } from '../governance/global-stop.js';
import { createStopRuntime, type StopRuntime } from '../governance/stop-runtime.js';
import { ConfigError, PermanentError, PromobotError, errorMessage } from '../errors/index.js';
import type { ScmKind } from '../events/index.js';
import { acquireRepoLock, createDeployRepo, type DeployRepo, type TokenSource } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import type { Metrics } from '../metrics/index.js';
import {
  createPolicyStore,
  findByDeployRepo,
  type PolicyStore,
  type PromotionPolicy,
} from '../policy/index.js';
import { connectRedis, redisKeys } from '../redis/index.js';
import { createBoardPublisher } from '../board/board-publisher.js';
import {
  createPromotionPullRequests,
  type ApproverCheck,
  type Command,
  type PromotionPullRequests,
  type RequesterRecord,
  type ResolvedRepo,
} from './pull-request-state/index.js';
import { createGateRunner, createPrometheusClient, type GateRunner } from '../gates/index.js';
import { openRollback } from './open-rollback.js';
import { noGatesStatus } from './no-gates-status.js';
import { GATES_STATUS_CONTEXT } from '../gates/index.js';
import { requiredStatusContexts } from '../setup/wanted-protection.js';
import { createGitHubHost, createScmHost, type GitHubHost } from '../hosts/index.js';
import { repoRef, type ScmHost } from '../scm/index.js';
import { createDeployRepoPort } from './deploy-repo-port.js';
import { parsePromotionBranch } from './promotion-meta.js';
import { createArgoCdClient } from '../hosts/argocd/index.js';
import {
  createRolloutVerifier,
  type RolloutVerifier,
  describeRollout,
  verifies,
} from '../rollout/runtime/index.js';
import { reconcileApp } from './reconcile-app.js';
import { createPendingRequesters, settleRequesters } from './requesters.js';
import { createReconcileQueue, createReconcileWorker, type ReconcileJob } from '../queue/reconcile-queue.js';
import { createNotifier, createNotifyWorker, type NotifyEvent } from '../notify/index.js';

// Newest push wins: an older event never replaces a newer one (KEYS[1] hash; ARGV: at, tag, digest).
const RECORD_PUSH = `
local at = tonumber(redis.call('hget', KEYS[1], 'at') or '-1')
if tonumber(ARGV[1]) <= at then return 0 end
redis.call('hset', KEYS[1], 'at', ARGV[1], 'tag', ARGV[2], 'digest', ARGV[3])
return 1`;

/** How often each deploy repo's working copy is repacked and its commit-graph written. */
const MAINTENANCE_INTERVAL_MS = 10 * 60_000;

/** How long a `promobot/freeze` status set on a PR head stands before a reconcile sets it again anyway. */
const FREEZE_STATUS_REASSERT_S = 15 * 60;

/**
 * What ChatOps is handed of promotion by the worker's composition root: the PRs' state, the deploy repos' policies
 * and hosts, and the effects a command asks for (reconcile, rollback, a waiting requester, a notification).
 */
export interface PromotionForChatops {
  redis: Redis;
  prefix: string;
  resolve: (scm: ScmKind, repoFullName: string) => ResolvedRepo | null;
  pullRequests: PromotionPullRequests;
  /** The deploy repos' global stops: ChatOps carries out `/hold <scope>` and `/unhold <scope>` on an issue with them. */
  stops: StopRuntime;
  /** The login promobot acts as on `scm`, learnt once from the host (ChatOps recognises its own comments by it). */
  botLogin: (scm: ScmKind) => Promise<string>;
  requestReconcile: (policy: string, app: string, reason: string) => Promise<void>;
  recordRequester: (
    policy: string,
    app: string,
    env: string,
    actor: string,
    via: RequesterRecord['via'],
  ) => Promise<void>;
  rollback: (
    policy: string,
    app: string,
    env: string,
    toTag: string | undefined,
  ) => Promise<{ pr: number; url: string; tag: string } | { refused: string }>;
  notify: (event: Omit<NotifyEvent, 'at'>) => Promise<void>;
  headWrittenAt: (policy: PromotionPolicy, branch: string, headSha: string) => Promise<number | null>;
}

/**
 * What the worker's handlers (`src/worker/handlers/`) act through: the policies, deploy repos and hosts, the PRs'
 * state, the rollout record, and the reconcile queue. Built once per process by {@link createPromotionRuntime}.
 */
export interface PromotionParts {
  readonly redis: Redis;
  /** Key prefix, shared with the queues (`config.queuePrefix`). */
  readonly prefix: string;
  readonly policies: PolicyStore;
  /** The deploy repo's working copy of `policy` (one per URL and branch, kept for the process). */
  readonly deployRepoFor: (policy: PromotionPolicy) => DeployRepo;
  readonly scmFor: (kind: ScmKind) => ScmHost;
  /** The login promobot acts as on `kind`, learnt once from the host. */
  readonly botLogin: (kind: ScmKind) => Promise<string>;
  readonly pullRequests: PromotionPullRequests;
  readonly rolloutVerifier: RolloutVerifier;
  readonly requestReconcile: (policy: string, app: string, reason: string) => Promise<void>;
  /** A reconcile of the app at `at` (epoch ms): one timer per app and instant, so requests for it collapse. */
  readonly requestReconcileAt: (
    job: { policy: string; app: string; reason: string },
    at: number,
  ) => Promise<void>;
  /** Records an image push of `app` (newest push wins: an older one never replaces a newer one). */
  readonly recordPush: (
    policy: string,
    app: string,
    push: { at: number; tag: string; digest?: string | undefined },
  ) => Promise<void>;
}

export interface PromotionRuntime {
  /** What the worker's event handlers act through. */
  readonly parts: PromotionParts;
  /** Promotion's side of ChatOps. */
  readonly forChatops: PromotionForChatops;
  readonly policies: PolicyStore;
  /** Starts the reconcile worker and reconciles every app once, so what was missed while down is caught up. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface PromotionRuntimeOptions {
  config: Config;
  logger: Logger;
  /** Source of PATH and HOME for git; the process environment by default. */
  gitBaseEnv?: NodeJS.ProcessEnv;
  /** Where commands that could not be decided are counted. */
  metrics?: Metrics;
  /** Whether an approval still counts (ChatOps' `authorize` of `/approve`), asked before every merge decision. */
  approverCheck: ApproverCheck;
  /** The commands of a comment's text (ChatOps' parser), to rebuild holds from the host's comments. */
  commandsIn: (body: string) => readonly Command[];
  /** The global stop's commands in a comment's text (ChatOps' grammar), to rebuild stops from the host's comments. */
  stopCommandsIn: (body: string) => readonly StopCommand[];
}

/**
 * Everything a worker needs to move promotions: the policy store, the SCM hosts, the deploy repo writers, the
 * reconcile queue and its worker, made per process from the configuration (nothing at module level).
 */
export async function createPromotionRuntime(options: PromotionRuntimeOptions): Promise<PromotionRuntime> {
  const { config } = options;
  const logger = options.logger.child({ component: 'promotion' });
  const redis = connectRedis(config.redisUrl, { kind: 'blocking' });
  const keys = redisKeys(config.queuePrefix);
  const policies = createPolicyStore({ dir: config.policiesDir, logger });
  await policies.load();
  const missing = new Set<string>();
  for (const policy of policies.current()) {
    const scm = policy.spec.deployRepo.scm;
    if (scm === 'gitea' && (!config.gitea.url || !config.gitea.token))
      missing.add(
        `GITEA_URL and GITEA_TOKEN: required by policy ${policy.metadata.name}, whose deploy repo is on Gitea`,
      );
    if (scm === 'github' && !config.github.token && !config.github.app)
      missing.add(
        `GITHUB_TOKEN (or a GitHub App: GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY): required by policy ${policy.metadata.name}, whose deploy repo is on GitHub`,
      );
  }
  const gated = policies
    .current()
    .filter((p) => p.spec.environments.some((e) => e.gates.length > 0 || e.watch));
  if (gated.length > 0 && !config.prometheus.url) {
    missing.add(
      `PROMETHEUS_URL: required by policy ${gated[0]?.metadata.name}, whose environments have gates`,
    );
  }
  for (const policy of policies.current()) {
    const providers = new Set(policy.spec.environments.map((e) => e.verify?.provider));
    if (providers.has('argocd') && (!config.argocd.url || !config.argocd.token))
      missing.add(
        `ARGOCD_URL and ARGOCD_TOKEN: required by policy ${policy.metadata.name}, whose environments verify through Argo CD`,
      );
    if (providers.has('prometheus') && !config.prometheus.url)
      missing.add(
        `PROMETHEUS_URL: required by policy ${policy.metadata.name}, whose environments verify through Prometheus`,
      );
  }
  if (missing.size > 0) {
    redis.disconnect();
    throw new ConfigError([...missing]);
  }
  const stopWatching = policies.watch({ intervalMs: 10_000 });

  const hosts = new Map<ScmKind, ScmHost>();
  let github: GitHubHost | undefined;
  const githubHost = (): GitHubHost => {
    const { apiUrl, token, app } = config.github;
    if (!token && !app)
      throw new PermanentError('a policy uses GitHub, but neither GITHUB_TOKEN nor GITHUB_APP_ID is set');
    github ??= createGitHubHost({ baseUrl: apiUrl, logger, ...(app ? { app } : { token: token ?? '' }) });
    return github;
  };
  const scmFor = (kind: ScmKind): ScmHost => {
    const known = hosts.get(kind);
    if (known) return known;
    let host: ScmHost;
    if (kind === 'gitea') {
      if (!config.gitea.url || !config.gitea.token)
        throw new PermanentError('a policy uses Gitea, but GITEA_URL or GITEA_TOKEN is not set');
      host = createScmHost('gitea', { baseUrl: config.gitea.url, token: config.gitea.token, logger });
    } else {
      host = githubHost();
    }
    hosts.set(kind, host);
    return host;
  };
  // An App's installation token changes every hour: git asks the host for the current one before each command.
  const tokenFor = (kind: ScmKind): TokenSource | string | undefined =>
    kind === 'gitea'
      ? config.gitea.token
      : config.github.app
        ? (refused) => githubHost().gitToken(refused)
        : config.github.token;

  const repos = new Map<string, DeployRepo>();
  const deployRepoFor = (policy: PromotionPolicy): DeployRepo => {
    const { deployRepo } = policy.spec;
    const url = deployRepo.url ?? scmFor(deployRepo.scm).cloneUrl(repoRef(deployRepo.repo));
    const id = `${url}#${deployRepo.branch}`;
    const known = repos.get(id);
    if (known) return known;
    const token = tokenFor(deployRepo.scm);
    const repo = createDeployRepo(
      {
        url,
        branch: deployRepo.branch,
        dataDir: config.dataDir,
        author: { name: config.git.authorName, email: config.git.authorEmail },
        ...(token !== undefined && /^https?:/.test(url) ? { auth: { token } } : {}),
        lock: { prefix: config.queuePrefix },
      },
      { redis, logger, ...(options.gitBaseEnv ? { baseEnv: options.gitBaseEnv } : {}) },
    );
    repos.set(id, repo);
    return repo;
  };
  const pendingRequesters = createPendingRequesters(redis, config.queuePrefix);
  const pushedKey = (policy: string, app: string) => keys.pushed(policy, app);

  const queue = createReconcileQueue({ redisUrl: config.redisUrl, prefix: config.queuePrefix });
  const requestReconcile = (policy: string, app: string, reason: string, at?: number) =>
    queue.request({ policy, app, reason }, at);

  // Notifications: an emit only enqueues (never throws, waits at most a few seconds); the notify worker sends.
  const notifier = createNotifier({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    logger,
    sinksOf: (name) => policies.current().find((p) => p.metadata.name === name)?.spec.notify ?? [],
  });
  const notifyWorker = createNotifyWorker({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    concurrency: config.concurrency,
    logger,
    finished: (sink, outcome) => options.metrics?.notification(sink.kind, outcome),
  });
  const notify = async (event: Omit<NotifyEvent, 'at'>) => {
    await notifier.notify({ ...event, sha: event.sha.toLowerCase(), at: new Date().toISOString() });
  };

  const resolvePolicy = (name: string) => {
    const policy = policies.current().find((p) => p.metadata.name === name);
    return policy ? { policy, scm: scmFor(policy.spec.deployRepo.scm) } : null;
  };

  const rollback = async (
    policyName: string,
    appName: string,
    env: string,
    toTag: string | undefined,
    evidence?: string,
  ): Promise<{ pr: number; url: string; tag: string } | { refused: string }> => {
    const resolved = resolvePolicy(policyName);
    const app = resolved?.policy.spec.apps.find((a) => a.name === appName);
    if (!resolved || !app) return { refused: `${appName} is not in policy ${policyName} any more` };
    const result = await openRollback(
      { policyName, spec: resolved.policy.spec, app, env, toTag, evidence },
      {
        scm: resolved.scm,
        repo: repoRef(resolved.policy.spec.deployRepo.repo),
        deployRepo: createDeployRepoPort(deployRepoFor(resolved.policy), config.git.authorEmail, logger),
        logger,
        botLogin: await botLogin(resolved.policy.spec.deployRepo.scm),
      },
    );
    if ('refused' in result) return result;
    await notify({
      kind: 'rolled-back',
      policy: policyName,
      app: appName,
      env,
      pr: result.pr.number,
      url: result.pr.url,
      sha: result.pr.headSha,
      summary: `rollback to ${result.tag}${evidence ? `: ${evidence}` : ''}`,
    });
    await requestReconcile(policyName, appName, `rollback PR #${result.pr.number} opened`);
    return { pr: result.pr.number, url: result.pr.url, tag: result.tag };
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
  const gates: GateRunner | null = prometheus
    ? createGateRunner({
        redisUrl: config.redisUrl,
        prefix: config.queuePrefix,
        logger,
        prometheus,
        prometheusUrl: config.prometheus.url,
        timing: config.worker,
        resolve: resolvePolicy,
        onSettled: (policy, app) => requestReconcile(policy, app, 'gates settled'),
        onRound: async (target, evidence, state) => {
          await board.recordRound(target, evidence, state);
          if (state.status !== 'pending')
            await notify({
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
          const result = await rollback(failure.policy, failure.app, failure.env, undefined, failure.report);
          if ('refused' in result)
            logger.warn(
              { ...failure, reason: result.refused },
              'watch failed, and no rollback PR could be opened',
            );
        },
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
    prefix: config.queuePrefix,
    logger,
    argocd,
    prometheus,
    rollback: async (policy, app, env, evidence) => {
      const result = await rollback(policy, app, env, undefined, evidence);
      if ('refused' in result)
        logger.warn(
          { policy, app, env, reason: result.refused },
          'verification failed, and no rollback PR could be opened',
        );
    },
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

  const botLogins = new Map<ScmKind, string>();
  const botLogin = async (kind: ScmKind) => {
    const known = botLogins.get(kind);
    if (known) return known;
    const { login } = await scmFor(kind).whoAmI();
    botLogins.set(kind, login);
    return login;
  };
  const foreignHeads = new Map<string, boolean>();
  const resolveRepo = (kind: ScmKind, fullName: string): ResolvedRepo | null => {
    const [policy] = findByDeployRepo(policies.current(), kind, fullName);
    const login = botLogins.get(kind);
    return policy && login ? { policy, scm: scmFor(kind), botLogin: login } : null;
  };
  const stops = createStopRuntime({ redis, prefix: config.queuePrefix, commandsIn: options.stopCommandsIn });
  const pullRequests: PromotionPullRequests = createPromotionPullRequests({
    redis,
    prefix: config.queuePrefix,
    logger,
    resolve: resolveRepo,
    policyNamed: (name) => policies.current().find((p) => p.metadata.name === name),
    gateStatus: async (repo, pr, headSha) => (gates ? gates.status(repo, pr, headSha) : 'pending'),
    stateKeys: config.stateKeys,
    approverCheck: options.approverCheck,
    commandsIn: options.commandsIn,
    stops,
    requestReconcile,
    notify,
    rollout: async (policy, meta) => {
      const env = policy.spec.environments.find((e) => e.name === meta.env);
      const from = policy.spec.environments.find((e) => e.name === env?.from);
      if (!from || !verifies(from)) return null;
      const gate = await rolloutVerifier.describe(policy.metadata.name, meta.app, from.name);
      // Fails closed: no record, or one about another tag than this PR's candidate, holds the merge.
      return describeRollout(from.name, meta.tag, gate);
    },
    hasForeignCommits: async (policy, pr) => {
      // A head's history never changes: one look per branch head is enough for every status written on it.
      const key = `${policy.spec.deployRepo.repo}:${pr.headRef}@${pr.headSha}`;
      const known = foreignHeads.get(key);
      if (known !== undefined) return known;
      const port = createDeployRepoPort(deployRepoFor(policy), config.git.authorEmail, logger);
      const foreign = await port.hasForeignCommits(pr.headRef);
      if (foreignHeads.size >= 1_000) foreignHeads.clear();
      foreignHeads.set(key, foreign);
      return foreign;
    },
  });
  const forChatops: PromotionForChatops = {
    redis,
    prefix: config.queuePrefix,
    resolve: resolveRepo,
    pullRequests,
    stops,
    botLogin,
    requestReconcile,
    recordRequester: (policy, app, env, actor, via) =>
      pendingRequesters.add(policy, app, via === 'rollback' ? 'rollback' : 'promotion', env, actor),
    rollback: (policy, app, env, toTag) => rollback(policy, app, env, toTag),
    notify,
    // promobot writes the heads of its PRs: the committer time is when it wrote them, from its own clone.
    headWrittenAt: async (policy, branch, headSha) => {
      const commits = await deployRepoFor(policy).branchCommits(branch);
      const head = commits.find((c) => c.commit === headSha);
      return head === undefined || !Number.isFinite(head.committedAt) ? null : head.committedAt;
    },
  };
  // The release board's read model: each reconcile ends by publishing the app's snapshot for `serve` to show.
  const board = createBoardPublisher({
    redis,
    prefix: config.queuePrefix,
    logger,
    policies: () => policies.current(),
    metrics: options.metrics,
    prometheusUrl: config.prometheus.url,
    sources: async (policy, log) => ({
      scm: scmFor(policy.spec.deployRepo.scm),
      botLogin: await botLogin(policy.spec.deployRepo.scm),
      deployRepo: createDeployRepoPort(deployRepoFor(policy), config.git.authorEmail, log),
    }),
  });
  if (config.stateKeys.length === 0)
    logger.warn(
      'PROMOBOT_STATE_KEY is not set: a promotion PR whose ChatOps state Redis loses is held until a writer says /unhold',
    );

  const runReconcile = async (job: ReconcileJob, jobLogger: Logger, enqueuedAt: number) => {
    const policy = policies.current().find((p) => p.metadata.name === job.policy);
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
      const pushed = await redis.hgetall(pushedKey(job.policy, job.app));
      const scm = scmFor(policy.spec.deployRepo.scm);
      // ChatOps recognises the bot's own comments by its login; learn it before anything is merged.
      const login = await botLogin(policy.spec.deployRepo.scm);
      const port = createDeployRepoPort(deployRepoFor(policy), config.git.authorEmail, jobLogger);
      const scheduleRecheck = (at: number, reason: string) =>
        queue.request({ policy: job.policy, app: job.app, reason }, at);
      const result = await reconcileApp(policy.metadata.name, policy.spec, app, {
        scm,
        botLogin: login,
        repo: repoRef(policy.spec.deployRepo.repo),
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
                    repo: repoRef(policy.spec.deployRepo.repo),
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
        pushed: pushed.tag
          ? { tag: pushed.tag, ...(pushed.digest ? { digest: pushed.digest } : {}), at: Number(pushed.at) }
          : null,
        settleRequesters: (pr, env, kind) =>
          settleRequesters({
            pending: pendingRequesters,
            policy: job.policy,
            app: job.app,
            kind,
            env,
            logger: jobLogger,
            record: (actor) =>
              pullRequests.recordRequester(
                policy.spec.deployRepo.scm,
                repoRef(policy.spec.deployRepo.repo),
                pr.number,
                { by: actor, via: kind === 'rollback' ? 'rollback' : 'promote' },
              ),
          }),
        onCandidate: async (pr, env, meta) => {
          const skipGates = meta.kind === 'rollback' && env.rollback.skipGates;
          if (gates && env.gates.length > 0 && !skipGates)
            await gates.start({
              policy: job.policy,
              app: job.app,
              env: env.name,
              repo: repoRef(policy.spec.deployRepo.repo),
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
            await scm.setCommitStatus(
              repoRef(policy.spec.deployRepo.repo),
              pr.headSha,
              noGatesStatus(env.name, skipGates),
            );
          await pullRequests.onCandidate(
            policy.spec.deployRepo.scm,
            repoRef(policy.spec.deployRepo.repo),
            pr.number,
            pr.headSha,
            meta.tag,
          );
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
          pullRequests.onCandidate(
            policy.spec.deployRepo.scm,
            repoRef(policy.spec.deployRepo.repo),
            pr.number,
            pr.headSha,
            meta.tag,
          ),
        mergeLock: (pr, run) =>
          pullRequests.withPullRequestLock(
            policy.spec.deployRepo.scm,
            repoRef(policy.spec.deployRepo.repo),
            pr.number,
            jobLogger,
            run,
          ),
        freezeOverride: (pr) => pullRequests.freezeOverride(pr),
        setFreezeStatus: async (pr, status) => {
          // Written when it changes (head, state or words), as the rollout status is; re-asserted after a while
          // anyway, so a status someone else set in promobot's name does not stand for long.
          const key = keys.freezePublished(policy.spec.deployRepo.repo, pr.number);
          const fingerprint = createHash('sha256')
            .update(JSON.stringify([pr.headSha, status]))
            .digest('hex');
          if ((await redis.get(key)) === fingerprint) return;
          await scm.setCommitStatus(repoRef(policy.spec.deployRepo.repo), pr.headSha, status);
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
        const repo = repoRef(policy.spec.deployRepo.repo);
        await pullRequests.onMerged(policy.spec.deployRepo.scm, repo, number);
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
      await board.publish(job.policy, job.app, 'reconcile', jobLogger);
      if (result.merged.length > 0)
        await requestReconcile(job.policy, job.app, `merged #${result.merged.join(', #')}`);
      // Only a run that finished covers the requests made before it started: a failed one is retried in full.
      await redis.set(startedKey, String(startedAt), 'EX', 7 * 24 * 3600);
    } finally {
      await lease.release().catch(() => undefined);
    }
  };
  const worker = createReconcileWorker({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    concurrency: config.concurrency,
    logger,
    run: runReconcile,
    timing: config.worker,
  });

  const parts: PromotionParts = {
    redis,
    prefix: config.queuePrefix,
    policies,
    deployRepoFor,
    scmFor,
    botLogin,
    pullRequests,
    rolloutVerifier,
    requestReconcile,
    requestReconcileAt: (job, at) => queue.request(job, at),
    recordPush: async (policy, app, push) => {
      await redis.eval(RECORD_PUSH, 1, pushedKey(policy, app), push.at, push.tag, push.digest ?? '');
    },
  };

  let closing: Promise<void> | undefined;
  // Repack and write the commit-graph of each working copy now and then, off the hot path (commits and fetches never
  // gc by themselves): history reads of an environment take ~30 ms with the graph's changed-path filters, ~300 ms
  // without (BENCHMARKS.md, history read).
  let maintaining = false;
  const maintainRepos = async () => {
    if (maintaining) return;
    maintaining = true;
    try {
      for (const repo of repos.values()) {
        await repo.maintain().catch((error: unknown) => {
          logger.warn(
            { err: errorMessage(error) },
            'deploy repo maintenance failed; it is tried again later',
          );
        });
      }
    } finally {
      maintaining = false;
    }
  };
  let maintenance: NodeJS.Timeout | undefined;

  return {
    parts,
    forChatops,
    policies,
    async start() {
      maintenance = setInterval(() => void maintainRepos(), MAINTENANCE_INTERVAL_MS);
      maintenance.unref();
      await worker.waitUntilReady();
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
        clearInterval(maintenance);
        stopWatching();
        await worker.close();
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
