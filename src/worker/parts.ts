import type { Redis } from 'ioredis';
import type { BoardPublisher } from '../board/board-publisher.js';
import type { ScmKind } from '../events/index.js';
import type { GateRunner } from '../gates/index.js';
import type { DeployRepo } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import type { NotifyEvent } from '../notify/index.js';
import type { PolicyStore, PromotionPolicy } from '../policy/index.js';
import type { DeployRepoPort } from '../promotion/index.js';
import type { PromotionPullRequests } from '../promotion/pull-request-state/index.js';
import type { PushRecord } from '../promotion/pushes.js';
import type { PendingRequesters } from '../promotion/requesters.js';
import type { RolloutVerifier } from '../rollout/runtime/index.js';
import type { ScmHost } from '../scm/index.js';

/**
 * What the worker's handlers (`src/worker/handlers/`) act through: the policies, deploy repos and hosts, the PRs'
 * state, the rollout record, the gates, the notifier, the board and the reconcile queue. Built once per process by
 * `createWorkerRuntime`.
 */
export interface WorkerParts {
  readonly redis: Redis;
  /** Key prefix, shared with the queues (`config.queuePrefix`). */
  readonly prefix: string;
  readonly policies: PolicyStore;
  /** The deploy repo's working copy of `policy` (one per URL and branch, kept for the process). */
  readonly deployRepoFor: (policy: PromotionPolicy) => DeployRepo;
  /** The deploy repo of `policy` as promotion's port, logging to `logger`. */
  readonly deployRepoPort: (policy: PromotionPolicy, logger: Logger) => DeployRepoPort;
  readonly scmFor: (kind: ScmKind) => ScmHost;
  /** The login promobot acts as on `kind`, learnt once from the host. */
  readonly botLogin: (kind: ScmKind) => Promise<string>;
  readonly pullRequests: PromotionPullRequests;
  readonly pendingRequesters: PendingRequesters;
  readonly rolloutVerifier: RolloutVerifier;
  /** The gate runner; null without Prometheus (then no policy has gates: see `missingSettings`). */
  readonly gates: GateRunner | null;
  readonly board: BoardPublisher;
  readonly notify: (event: Omit<NotifyEvent, 'at'>) => Promise<void>;
  readonly requestReconcile: (policy: string, app: string, reason: string) => Promise<void>;
  /** A reconcile of the app at `at` (epoch ms): one timer per app and instant, so requests for it collapse. */
  readonly requestReconcileAt: (
    job: { policy: string; app: string; reason: string },
    at: number,
  ) => Promise<void>;
  /** The newest image push of each app. */
  readonly pushes: PushRecord;
}
