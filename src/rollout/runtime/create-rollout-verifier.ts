import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sameLogin } from '../../scm/same-login.js';
import { PromobotError, errorMessage } from '../../errors/index.js';
import type { RepoRef } from '../../events/index.js';
import type { PrometheusClient } from '../../gates/prometheus-client.js';
import type { Logger } from '../../logger/index.js';
import { redisKeys } from '../../redis/keys.js';
import type { App, Environment, PolicySpec } from '../../policy/schema.js';
import { parseDuration } from '../../policy/schema.js';
import type { PullRequest, ScmHost } from '../../scm/types.js';
import type { ArgoCdClient } from '../../hosts/argocd/client.js';
import { decideRollout, revisionsToCheck, type RolloutEvidence } from '../decide-rollout.js';
import { judgeVerification, type ApplicationAnswer } from '../judge-verification.js';
import type { RolloutGate } from '../rollout-gate.js';
import { renderApplicationName } from '../../policy/verified-applications.js';
import { renderRolloutComment, ROLLOUT_COMMENT_MARKER, rolloutStatus } from './render-rollout.js';
import { DeferredWatch, parseStored, RolloutRecord } from './rollout-record.js';
import { verifyWithPrometheus } from './verify-with-prometheus.js';

export const ROLLOUT_STATUS = 'promobot/rollout';

/** What one environment runs, as the reconciler read it from the deploy repo. */
export interface RunningForVerify {
  tag: string | null;
  digest?: string | undefined;
  commit?: string | null | undefined;
}

export interface CheckInput {
  policy: string;
  spec: PolicySpec;
  app: App;
  running: Readonly<Record<string, RunningForVerify>>;
  /** Ancestry in the deploy repo: does `descendant` contain `ancestor`. */
  contains: (ancestor: string, descendant: string) => Promise<boolean>;
  /** Asks for the app to be reconciled (and so checked) again at `at`. */
  scheduleRecheck: (at: number, reason: string) => Promise<void>;
  logger: Logger;
}

export interface PublishInput {
  scm: ScmHost;
  repo: RepoRef;
  botLogin: string;
  pr: PullRequest;
  /** The environment the PR promotes into, and its source, whose rollout the gate is about. */
  env: string;
  from: string;
  gate: RolloutGate;
  logger: Logger;
}

export interface RolloutVerifierOptions {
  redis: Redis;
  prefix: string;
  logger: Logger;
  argocd: ArgoCdClient | null;
  prometheus: PrometheusClient | null;
  now?: () => number;
  /** A verification failed where `verify.onFailure: rollback`: open the environment's rollback PR. */
  rollback: (policy: string, app: string, env: string, evidence: string) => Promise<void>;
  /** The environment is verified running what a merge put there: the post-merge watch starts now. */
  startWatch: (policy: string, app: string, env: string, watch: DeferredWatch) => Promise<void>;
}

export interface RolloutVerifier {
  /**
   * Under the app's lock: for each environment with `verify` (argocd or prometheus) and a tag, where its
   * verification stands, asking Argo CD (or Prometheus) when a round is due or a notification came. Waiting rounds
   * schedule the next reconcile; a failure's rollback and a verified merge's watch start from here, once.
   */
  check(input: CheckInput): Promise<Map<string, RolloutGate>>;
  /** An Argo CD notification about an Application of `env`: the next check asks at once, whatever the backoff. */
  poke(policy: string, app: string, env: string): Promise<void>;
  /** Shows `gate` on the next environment's PR: `promobot/rollout` on its head, the rollout comment. */
  publish(input: PublishInput): Promise<void>;
  /** Records a merge into `env` whose post-merge watch waits for `env` to be verified running `watch.tag`. */
  deferWatch(policy: string, app: string, env: string, watch: DeferredWatch): Promise<void>;
  /** The stored state of an environment's verification, for `/status`. */
  describe(policy: string, app: string, env: string): Promise<RolloutGate | null>;
}

const RECORD_TTL_S = 30 * 24 * 3600;
/** A deferred watch whose merge never gets verified (a newer landing came first) is forgotten after a day. */
const WATCH_TTL_S = 24 * 3600;
/** Longest a notification's hint is kept (a reconcile takes it long before). */
const POKE_TTL_S = 3600;

/** Whether an environment's `verify` asks anything (argocd, prometheus), or nothing (absent, `none`). */
export function verifies(env: Environment): boolean {
  return env.verify !== undefined && env.verify.provider !== 'none';
}

export function createRolloutVerifier(options: RolloutVerifierOptions): RolloutVerifier {
  const { redis, prefix } = options;
  const now = options.now ?? Date.now;
  const keys = redisKeys(prefix);
  const recordKey = keys.rollout;
  const pokeKey = keys.rolloutPoke;
  const watchKey = keys.rolloutWatch;
  const publishedKey = (repo: RepoRef, pr: number) => keys.rolloutPublished(`${repo.owner}/${repo.name}`, pr);

  const save = (key: string, record: RolloutRecord) =>
    redis.set(key, JSON.stringify(record), 'EX', RECORD_TTL_S);

  const toGate = (record: RolloutRecord): RolloutGate =>
    record.state === 'verified'
      ? { state: 'verified', tag: record.tag, verifiedAt: record.verifiedAt ?? record.startedAt }
      : record.state === 'failed'
        ? { state: 'failed', tag: record.tag, reason: record.reason, evidence: compact(record.evidence) }
        : { state: 'waiting', tag: record.tag, reason: record.reason };

  /** One round of asking: each Application's answer, or Prometheus's. */
  const ask = async (
    input: CheckInput,
    env: Environment,
    record: RolloutRecord,
  ): Promise<ApplicationAnswer[]> => {
    const verify = env.verify;
    if (verify?.provider === 'prometheus') {
      return [
        await verifyWithPrometheus(options.prometheus, {
          environment: env.name,
          query: verify.query,
          app: input.app,
          env,
          tag: record.tag,
          digest: input.running[env.name]?.digest,
          spec: input.spec,
        }),
      ];
    }
    if (verify?.provider !== 'argocd') return [];
    const argocd = options.argocd;
    return Promise.all(
      verify.applications.map(async (template): Promise<ApplicationAnswer> => {
        const name = renderApplicationName(template, { app: input.app.name, env: env.name });
        if (argocd === null)
          return {
            application: name,
            error: {
              message: 'ARGOCD_URL and ARGOCD_TOKEN are not set',
              advice: 'set them (see README, Configuration), or verify through prometheus',
            },
          };
        try {
          // Right after promobot's landing, Argo CD is asked to compare with git now instead of at its next poll.
          const app = await argocd.getApplication(name, {
            appNamespace: verify.appNamespace,
            project: verify.project,
            refresh: record.attempt === 0,
          });
          const contains = new Map<string, boolean>();
          for (const revision of revisionsToCheck(app))
            contains.set(revision, await input.contains(record.landingCommit, revision));
          return {
            application: name,
            decision: decideRollout({
              environment: env.name,
              app,
              candidateImage: `${input.app.image}:${record.tag}`,
              landingCommit: record.landingCommit,
              contains,
            }),
          };
        } catch (error) {
          return {
            application: name,
            error: {
              message: errorMessage(error),
              ...(error instanceof PromobotError && error.advice ? { advice: error.advice } : {}),
            },
          };
        }
      }),
    );
  };

  const followUp = async (input: CheckInput, env: Environment, key: string, record: RolloutRecord) => {
    const log = input.logger.child({ env: env.name, tag: record.tag });
    if (record.state === 'failed' && record.rollback === 'pending') {
      await options.rollback(input.policy, input.app.name, env.name, failureEvidence(env.name, record));
      await save(key, { ...record, rollback: 'done' });
      log.info('verification failed: rollback PR asked for');
    }
    if (record.state === 'verified') {
      const wKey = watchKey(input.policy, input.app.name, env.name);
      const watch = parseStored(DeferredWatch, await redis.get(wKey));
      // The merge is the landing commit of what the environment now runs (a newer landing makes the watch moot,
      // and it expires).
      if (watch && watch.mergeSha === record.landingCommit) {
        await options.startWatch(input.policy, input.app.name, env.name, watch);
        await redis.del(wKey);
        log.info({ pr: watch.pr }, 'verified running the merged candidate: post-merge watch started');
      }
    }
  };

  return {
    async check(input) {
      const gates = new Map<string, RolloutGate>();
      for (const env of input.spec.environments) {
        if (!verifies(env) || env.verify === undefined || env.verify.provider === 'none') continue;
        const running = input.running[env.name];
        if (!running?.tag || !running.commit) continue;
        const key = recordKey(input.policy, input.app.name, env.name);
        const poke = pokeKey(input.policy, input.app.name, env.name);
        const t = now();
        let record = parseStored(RolloutRecord, await redis.get(key));
        const fresh =
          record === null || record.tag !== running.tag || record.landingCommit !== running.commit;
        if (record === null || fresh) {
          record = {
            v: 1,
            tag: running.tag,
            landingCommit: running.commit,
            startedAt: t,
            nextAt: t,
            attempt: 0,
            state: 'waiting',
            reason: `${env.name}: not asked yet, waiting for ${running.tag}`,
          };
        }
        const poked = (await redis.del(poke)) > 0;
        if (record.state === 'waiting' && (poked || record.nextAt <= t)) {
          const answers = await ask(input, env, record);
          const verdict = judgeVerification({
            environment: env.name,
            answers,
            startedAtMs: record.startedAt,
            nowMs: now(),
            timeoutMs: parseDuration(env.verify.timeout),
            attempt: record.attempt,
          });
          const log = input.logger.child({ env: env.name, tag: record.tag, attempt: record.attempt });
          if (verdict.state === 'verified') {
            record = {
              ...record,
              state: 'verified',
              verifiedAt: now(),
              reason: `${env.name} runs ${record.tag}`,
            };
            log.info(
              { verifiedAt: new Date(record.verifiedAt ?? 0).toISOString() },
              'candidate verified running',
            );
          } else if (verdict.state === 'failed') {
            record = {
              ...record,
              state: 'failed',
              reason: verdict.reason,
              evidence: verdict.evidence,
              ...(env.verify.onFailure === 'rollback' ? { rollback: 'pending' as const } : {}),
            };
            log.warn({ reason: verdict.reason, evidence: verdict.evidence }, 'candidate verification failed');
          } else {
            record = {
              ...record,
              reason: verdict.reason,
              attempt: record.attempt + 1,
              nextAt: now() + verdict.retryInMs,
            };
            log.info({ reason: verdict.reason, retryInMs: verdict.retryInMs }, 'candidate not verified yet');
          }
          await save(key, record);
        } else if (fresh) {
          await save(key, record);
        }
        if (record.state === 'waiting')
          await input.scheduleRecheck(record.nextAt, `verify ${record.tag} in ${env.name}`);
        await followUp(input, env, key, record);
        gates.set(env.name, toGate(record));
      }
      return gates;
    },
    async poke(policy, app, env) {
      await redis.set(pokeKey(policy, app, env), '1', 'EX', POKE_TTL_S);
    },
    async publish(input) {
      const { scm, repo, pr, gate } = input;
      const status = rolloutStatus(input.from, gate);
      const comment = renderRolloutComment(input.from, gate);
      const fingerprint = createHash('sha256')
        .update(JSON.stringify([pr.headSha, status, comment]))
        .digest('hex');
      const key = publishedKey(repo, pr.number);
      if ((await redis.get(key)) === fingerprint) return;
      await scm.setCommitStatus(repo, pr.headSha, { context: ROLLOUT_STATUS, ...status });
      const ours = (await scm.listComments(repo, pr.number)).find(
        (c) => sameLogin(c.author, input.botLogin) && c.body.includes(ROLLOUT_COMMENT_MARKER),
      );
      if (!ours) await scm.createComment(repo, pr.number, comment);
      else if (ours.body !== comment) await scm.updateComment(repo, ours.id, comment);
      await redis.set(key, fingerprint, 'EX', RECORD_TTL_S);
      input.logger.info(
        { pr: pr.number, env: input.env, from: input.from, rollout: gate.state, status: status.state },
        'rollout shown on the PR',
      );
    },
    async deferWatch(policy, app, env, watch) {
      await redis.set(watchKey(policy, app, env), JSON.stringify(watch), 'EX', WATCH_TTL_S);
    },
    async describe(policy, app, env) {
      const record = parseStored(RolloutRecord, await redis.get(recordKey(policy, app, env)));
      return record ? toGate(record) : null;
    },
  };
}

function failureEvidence(env: string, record: RolloutRecord): string {
  const lines = [`Verification of ${record.tag} in ${env} failed: ${record.reason}`];
  const e = record.evidence ?? {};
  if (e.syncMessage) lines.push(`- sync: ${e.syncMessage}`);
  if (e.healthMessage) lines.push(`- health: ${e.healthMessage}`);
  if (e.resource) lines.push(`- resource: ${e.resource}`);
  return lines.join('\n');
}

function compact(evidence: RolloutRecord['evidence']): RolloutEvidence {
  return Object.fromEntries(
    Object.entries(evidence ?? {}).filter(([, v]) => v !== undefined),
  ) as RolloutEvidence;
}
