import type { Redis } from 'ioredis';
import type { Logger } from '../logger/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { repoRef } from '../scm/index.js';
import type { GateState, GateTarget, RoundEvidence } from '../gates/index.js';
import type { Metrics } from '../metrics/index.js';
import { createBoardStore, roundPoint } from './board-store.js';
import { boardTransitions } from './board-transitions.js';
import { collectAppBoard, quietly, redisStateReaders, type BoardSources } from './collect-app-board.js';
import type { BoardEvent } from './schema.js';

export interface BoardPublisherDeps {
  redis: Redis;
  prefix: string;
  logger: Logger;
  policies: () => readonly PromotionPolicy[];
  /** The code host, promobot's login there and the deploy repo of a policy; null when not known yet. */
  sources: (
    policy: PromotionPolicy,
    logger: Logger,
  ) => Promise<Pick<BoardSources, 'scm' | 'botLogin' | 'deployRepo'> | null>;
  now?: () => number;
  /** Prometheus as people reach it, for the query links of gate rounds. */
  prometheusUrl?: string | undefined;
  /** Where landings, ended promotions and gate rounds are counted; none when absent. */
  metrics?: Pick<Metrics, 'landed' | 'promotionEnded' | 'gateRound'> | undefined;
}

export interface BoardPublisher {
  /**
   * Recomputes the app's board, stores it and tells every `serve` it changed. Never throws: a board that could not
   * be written is logged and written by the next reconcile.
   */
  publish(policy: string, app: string, kind: BoardEvent['kind'], logger?: Logger): Promise<void>;
  /** Keeps a gate round for the app page's chart, then publishes the app. Never throws. */
  recordRound(target: GateTarget, evidence: RoundEvidence, state: GateState): Promise<void>;
}

/** The worker's side of the board: snapshot per app into Redis, then a pub/sub message naming the app. */
export function createBoardPublisher(deps: BoardPublisherDeps): BoardPublisher {
  const store = createBoardStore(deps.redis, deps.prefix, deps.logger);
  const now = deps.now ?? Date.now;
  const publisher: BoardPublisher = {
    async recordRound(target, evidence, state) {
      // A round job retried (after a crash or an error past this point) keeps the same round id: counted once.
      // When the write fails, whether it is a retry is unknown, and the round is counted.
      let first = true;
      await quietly(deps.logger, 'gate round not kept for the board', async () => {
        first = await store.writeRound(
          target.repo,
          target.pr,
          target.headSha,
          roundPoint(evidence, state, deps.prometheusUrl),
        );
      });
      if (first) deps.metrics?.gateRound(target.env, evidence.outcome);
      await publisher.publish(target.policy, target.app, 'gate-round');
    },
    publish(policyName, appName, kind, logger = deps.logger) {
      return quietly(logger, 'board snapshot not written; the next reconcile writes it', async () => {
        const policy = deps.policies().find((p) => p.metadata.name === policyName);
        const app = policy?.spec.apps.find((a) => a.name === appName);
        if (!policy || !app) return;
        const sources = await deps.sources(policy, logger);
        if (!sources) return;
        const repo = repoRef(policy.spec.deployRepo.repo);
        const board = await collectAppBoard(policy, app, {
          ...sources,
          repo,
          ...redisStateReaders(deps.redis, deps.prefix, policy.spec.deployRepo.scm, repo, logger, {
            policy: policyName,
            app: appName,
          }),
          previous: await store.read(policyName, appName),
          now,
        });
        const { written, replaced } = await store.write(board);
        // Only the writer that replaced a snapshot counts what changed, so each change is counted once.
        if (written && deps.metrics) {
          const { landings, closed } = boardTransitions(replaced, board);
          for (const l of landings) deps.metrics.landed(l.env, l.leadSeconds);
          for (const c of closed)
            deps.metrics.promotionEnded(c.env, c.kind, c.outcome, c.approvalWaitSeconds);
        }
        await store.publish({ kind, policy: policyName, app: appName, at: now() });
        logger.debug({ app: appName, promotions: board.promotions.length }, 'board snapshot published');
      });
    },
  };
  return publisher;
}
