import type { Redis } from 'ioredis';
import { createPullRequestStore, type PromotionState } from '../promotion/pull-request-state/index.js';
import { sameLogin } from '../scm/same-login.js';
import type { RepoRef } from '../events/index.js';
import { GateState } from '../gates/index.js';
import type { Logger } from '../logger/index.js';
import { redisKeys } from '../redis/keys.js';
import { environmentPath, parseDuration, type App, type PromotionPolicy } from '../policy/index.js';
import { parsePromotionBranch, parsePromotionMeta } from '../promotion/promotion-meta.js';
import type { DeployRepoPort } from '../promotion/reconcile-app.js';
import type { ScmHost } from '../scm/index.js';
import { decideFreeze } from '../freeze/decide-freeze.js';
import { RolloutRecord, parseStored } from '../rollout/runtime/rollout-record.js';
import { verifies } from '../rollout/runtime/create-rollout-verifier.js';
import { createBoardStore } from './board-store.js';
import { describePromotion } from './describe-promotion.js';
import { buildJourneys } from './journey.js';
import type { GateRoundPoint } from './schema.js';
import {
  MAX_HISTORY_PER_ENV,
  MAX_PROMOTIONS_PER_APP,
  MAX_TEXT,
  type AppBoard,
  type HistoryEntry,
} from './schema.js';

/** What the worker reads one app's board from: the deploy repo, the code host and the state kept in Redis. */
export interface BoardSources {
  scm: ScmHost;
  /** promobot's login on `scm`: only its own PRs are promotions. */
  botLogin: string;
  repo: RepoRef;
  deployRepo: Pick<DeployRepoPort, 'readRunning' | 'tagHistory'>;
  /** The PR's ChatOps state. */
  promotionState: (pr: number) => Promise<PromotionState | null>;
  /** The gate soak of a PR head. */
  gateState: (pr: number, headSha: string) => Promise<GateState | null>;
  /** The newest push recorded for the app, for lead times. */
  lastPush: () => Promise<{ tag: string; at: number } | null>;
  /** The snapshot this one replaces, if any: carries over since when a PR waits for approvals. */
  previous: AppBoard | null;
  /** The gate rounds kept for a PR head, oldest first. */
  gateRounds: (pr: number, headSha: string) => Promise<GateRoundPoint[]>;
  /** promobot's rollout record of an environment (`redisKeys(prefix).rollout`); null when none is kept. */
  rollout: (env: string) => Promise<RolloutRecord | null>;
  now: () => number;
}

const clip = (text: string | null) =>
  text === null ? null : text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;

/**
 * Reads one app's board: what each environment runs and since when (the same read-back promotion uses), its open
 * promotion PRs described by the rules that merge them, and each environment's recent tag history.
 */
export async function collectAppBoard(
  policy: PromotionPolicy,
  app: App,
  sources: BoardSources,
): Promise<AppBoard> {
  const { spec } = policy;
  const environments = spec.environments.map((env) => ({ name: env.name, path: environmentPath(env, app) }));
  // Taken before anything is read: of two collections, the one that started later holds the newer view.
  const now = sources.now();
  const running = await sources.deployRepo.readRunning(app, environments);
  // Where the environment verifies its rollout, promobot's own record says whether its tag runs (never a PR body).
  const rollouts = new Map<string, RolloutRecord>();
  for (const env of spec.environments) {
    if (!verifies(env)) continue;
    const record = await sources.rollout(env.name);
    if (record) rollouts.set(env.name, record);
  }

  const promotions: AppBoard['promotions'] = [];
  for (const pr of await sources.scm.listOpenPullRequests(sources.repo, spec.deployRepo.branch)) {
    if (promotions.length >= MAX_PROMOTIONS_PER_APP) break;
    const branch = parsePromotionBranch(pr.headRef);
    if (!branch || branch.app !== app.name || !sameLogin(pr.author, sources.botLogin)) continue;
    const meta = parsePromotionMeta(pr.body);
    if (!meta || meta.app !== app.name || meta.env !== branch.env || meta.kind !== branch.kind) continue;
    const environment = spec.environments.find((e) => e.name === meta.env);
    if (!environment) continue;
    const from = meta.from === undefined ? undefined : running[meta.from];
    const soakedAt =
      environment.soak !== undefined && from?.tag === meta.tag && from.since !== null
        ? from.since + parseDuration(environment.soak)
        : null;
    promotions.push({
      ...describePromotion({
        meta,
        pr,
        environment,
        state: await sources.promotionState(pr.number),
        gates: await sources.gateState(pr.number, pr.headSha),
        soakedAt,
        rollout: rolloutHold(meta.from, meta.tag),
        freeze: frozen(decideFreeze(spec, environment, now, meta.kind)),
        awaitingSince:
          sources.previous?.promotions.find((p) => p.pr.number === pr.number && p.tag === meta.tag)
            ?.awaitingApprovalSince ?? null,
        now,
      }),
      rounds: await sources.gateRounds(pr.number, pr.headSha),
    });
  }

  function rolloutHold(from: string | undefined, tag: string) {
    const source = from === undefined ? undefined : spec.environments.find((e) => e.name === from);
    if (!source || !verifies(source) || running[source.name]?.tag !== tag) return null;
    const record = rollouts.get(source.name);
    // No record, or one of another tag, is not verified: the worker holds the promotion the same way.
    if (record?.tag === tag && record.state === 'verified') return null;
    return {
      env: source.name,
      state: record?.tag === tag && record.state === 'failed' ? ('failed' as const) : ('waiting' as const),
      reason: clip(record?.tag === tag ? record.reason : 'not looked at yet') ?? '',
    };
  }

  const history: HistoryEntry[] = [];
  for (const env of environments) {
    for (const run of (await sources.deployRepo.tagHistory(app, env)).slice(0, MAX_HISTORY_PER_ENV)) {
      history.push({
        env: env.name,
        tag: run.tag,
        since: run.since,
        commit: run.commit,
        endedBy: run.endedBy,
        author: clip(run.author),
        subject: clip(run.subject),
        trailers: Object.fromEntries(
          Object.entries(run.trailers)
            .slice(0, 20)
            .map(([k, v]) => [k.slice(0, 100), clip(String(v)) ?? '']),
        ),
      });
    }
  }

  const cells = spec.environments.map((env) => {
    const record = rollouts.get(env.name);
    return {
      env: env.name,
      tag: running[env.name]?.tag ?? null,
      since: running[env.name]?.since ?? null,
      verification: record
        ? {
            state: record.state,
            tag: record.tag,
            verifiedAt: record.verifiedAt ?? null,
            reason: clip(record.reason) ?? '',
          }
        : null,
    };
  });
  const lastPush = await sources.lastPush();
  return {
    policy: policy.metadata.name,
    app: app.name,
    image: app.image,
    deployRepo: { scm: spec.deployRepo.scm, repo: spec.deployRepo.repo },
    environments: cells,
    promotions,
    history,
    journeys: buildJourneys(
      { environments: cells, history, lastPush, promotions },
      sources.previous?.journeys ?? [],
    ),
    lastPush,
    updatedAt: now,
  };
}

/** The ChatOps and gate state readers over Redis, as the chatops and gates runtimes keep them. */
export function redisStateReaders(
  redis: Redis,
  prefix: string,
  scm: 'gitea' | 'github',
  repo: RepoRef,
  logger: Logger,
  names: { policy: string; app: string },
): Pick<BoardSources, 'promotionState' | 'gateState' | 'gateRounds' | 'lastPush' | 'rollout'> {
  const chatops = createPullRequestStore(redis, prefix);
  const board = createBoardStore(redis, prefix, logger);
  return {
    gateRounds: (pr, headSha) => board.readRounds(repo, pr, headSha),
    // The record the rollout verifier keeps (src/rollout/runtime/create-rollout-verifier.ts); malformed is absent.
    rollout: async (env) =>
      parseStored(RolloutRecord, await redis.get(redisKeys(prefix).rollout(names.policy, names.app, env))),
    lastPush: async () => {
      // The hash promotion records each push in (promotion/pushes.ts): `at` is the push time, epoch ms.
      const pushed = await redis.hgetall(redisKeys(prefix).pushed(names.policy, names.app));
      const at = Number(pushed.at);
      return pushed.tag && Number.isSafeInteger(at) && at > 0 ? { tag: pushed.tag, at } : null;
    },
    promotionState: async (pr) =>
      (await chatops.load({ scm, repo: repo.fullName, number: pr }))?.state ?? null,
    gateState: async (pr, headSha) => {
      // The key the gate runner writes its soak state under (create-gate-runner.ts); 'none' when no gates.
      const raw = await redis.get(redisKeys(prefix).gatesState(repo.fullName, pr, headSha));
      if (raw === null || raw === 'none') return null;
      try {
        const parsed = GateState.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },
  };
}

/** Logs and swallows: the board is a view, and never fails the work it looks at. */
export async function quietly(logger: Logger, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, what);
  }
}

const frozen = (d: { frozen: boolean; until: number | null; reason: string | null }) =>
  d.frozen ? { until: d.until, reason: d.reason } : null;
