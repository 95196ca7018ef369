import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Why a delivery got the answer it got; one label value per HTTP outcome. */
export type DeliveryOutcome =
  | 'accepted'
  | 'duplicate'
  | 'ignored'
  | 'malformed'
  | 'unauthorized'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'error';

export type JobOutcome = 'completed' | 'retried' | 'failed';

/** One open promotion as the board sees it, for the waiting-time gauge. */
export interface OpenPromotionFigure {
  policy: string;
  app: string;
  env: string;
  status: string;
  /** Since its candidate reached the environment it comes from (or, failing that, since the board first saw it). */
  waitingSeconds: number;
}

export interface Metrics {
  /** A registry of its own, so several apps (tests, `start`) never share counters. */
  readonly registry: Registry;
  delivery(source: string, event: string, outcome: DeliveryOutcome, seconds: number): void;
  /** A delivery answered 200 without a job, by why (`not-acted-on`, `no-command`, `unknown-repository`, ...). */
  ignored(source: string, reason: string): void;
  jobFinished(eventType: string, outcome: JobOutcome, seconds: number): void;
  /** A person's command promobot could not decide (its own access is missing: `reason` names what). */
  commandError(reason: string): void;
  /** One delivery attempt of a notification to a sink of `kind` (slack, webhook, feishu, dingtalk). */
  notification(kind: string, outcome: 'completed' | 'failed' | 'retried'): void;
  /** A tag landed in an environment; `leadSeconds` from its image push, when known. */
  landed(env: string, leadSeconds: number | null): void;
  /** A promotion (or rollback) PR ended: `merged`, or `closed` without landing; with its wait for approvals. */
  promotionEnded(
    env: string,
    kind: 'promotion' | 'rollback',
    outcome: 'merged' | 'closed',
    approvalWaitSeconds: number | null,
  ): void;
  /** A gate round finished with `outcome` (pass, fail, inconclusive). */
  gateRound(env: string, outcome: string): void;
  /** Where the open-promotions gauge reads its figures when scraped (`serve`: the board's snapshots). */
  trackOpenPromotions(read: () => Promise<readonly OpenPromotionFigure[]>): void;
  /** Where the queue depth gauge reads its figures when scraped. */
  trackQueueDepth(read: () => Promise<Readonly<Record<string, number>>>): void;
}

/**
 * Creates the Prometheus metrics of one promobot process: deliveries by source, event and outcome; the time to
 * acknowledge a delivery; queue depth by state; job outcomes and durations.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'promobot_' });

  const deliveries = new Counter({
    name: 'promobot_webhook_deliveries_total',
    help: 'Webhook deliveries by source, sender event and outcome.',
    labelNames: ['source', 'event', 'outcome'] as const,
    registers: [registry],
  });
  const ignored = new Counter({
    name: 'promobot_webhook_ignored_total',
    help: 'Deliveries answered 200 without a job, by source and reason.',
    labelNames: ['source', 'reason'] as const,
    registers: [registry],
  });
  const ackSeconds = new Histogram({
    name: 'promobot_webhook_ack_seconds',
    help: 'Time from receiving a delivery to answering it.',
    labelNames: ['source', 'outcome'] as const,
    // Harbor gives a receiver 3 s; the interesting part is well below that.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
    registers: [registry],
  });
  const jobs = new Counter({
    name: 'promobot_jobs_total',
    help: 'Job attempts by event type and outcome.',
    labelNames: ['event_type', 'outcome'] as const,
    registers: [registry],
  });
  const jobSeconds = new Histogram({
    name: 'promobot_job_duration_seconds',
    help: 'Duration of one job attempt.',
    labelNames: ['event_type', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const commandErrors = new Counter({
    name: 'promobot_command_errors_total',
    help: 'ChatOps commands promobot could not decide, by reason (the capability the host refused promobot).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'promobot_notifications_total',
    help: 'Notification delivery attempts by sink kind and outcome (failed: refused with a 4xx, or out of attempts).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  // Flow figures (DORA): deployment frequency = rate of landings, lead time from push, change failure rate =
  // rollbacks merged / landings, and where promotions wait.
  const HOURS = [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800, 604_800];
  const landings = new Counter({
    name: 'promobot_landings_total',
    help: 'Tags that came into an environment (a commit, or a merged promotion or rollback PR), by environment.',
    labelNames: ['env'] as const,
    registers: [registry],
  });
  const leadTime = new Histogram({
    name: 'promobot_lead_time_seconds',
    help: 'Time from an image push to its tag running in the environment (deploy repo), by environment.',
    labelNames: ['env'] as const,
    buckets: HOURS,
    registers: [registry],
  });
  const promotions = new Counter({
    name: 'promobot_promotions_total',
    help: 'Promotion and rollback PRs that ended, by environment, kind and outcome (merged, closed).',
    labelNames: ['env', 'kind', 'outcome'] as const,
    registers: [registry],
  });
  const rollbacks = new Counter({
    name: 'promobot_rollbacks_total',
    help: 'Rollback PRs merged, by environment.',
    labelNames: ['env'] as const,
    registers: [registry],
  });
  const approvalWait = new Histogram({
    name: 'promobot_approval_wait_seconds',
    help: 'Time a promotion waited for approvals only (gates passed, nothing else missing) before it merged.',
    labelNames: ['env'] as const,
    buckets: HOURS,
    registers: [registry],
  });
  const gateRounds = new Counter({
    name: 'promobot_gate_rounds_total',
    help: 'Gate rounds by environment and outcome (pass, fail, inconclusive).',
    labelNames: ['env', 'outcome'] as const,
    registers: [registry],
  });
  let readOpen: (() => Promise<readonly OpenPromotionFigure[]>) | undefined;
  new Gauge({
    name: 'promobot_promotion_waiting_seconds',
    help: 'Open promotions by policy, app, environment and status: how long each has waited so far.',
    labelNames: ['policy', 'app', 'env', 'status'] as const,
    registers: [registry],
    async collect() {
      if (readOpen === undefined) return;
      try {
        const figures = await readOpen();
        this.reset();
        for (const f of figures)
          this.set({ policy: f.policy, app: f.app, env: f.env, status: f.status }, f.waitingSeconds);
      } catch {
        // Redis down: keep the last figures.
      }
    },
  });
  let readDepth: (() => Promise<Readonly<Record<string, number>>>) | undefined;
  new Gauge({
    name: 'promobot_queue_jobs',
    help: 'Jobs on the events queue by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (readDepth === undefined) return;
      try {
        for (const [state, count] of Object.entries(await readDepth())) this.set({ state }, count);
      } catch {
        // Redis down: keep the last figures; /readyz says what is wrong.
      }
    },
  });

  return {
    registry,
    ignored(source, reason) {
      ignored.inc({ source, reason });
    },
    delivery(source, event, outcome, seconds) {
      deliveries.inc({ source, event, outcome });
      ackSeconds.observe({ source, outcome }, seconds);
    },
    jobFinished(eventType, outcome, seconds) {
      jobs.inc({ event_type: eventType, outcome });
      jobSeconds.observe({ event_type: eventType, outcome }, seconds);
    },
    commandError(reason) {
      commandErrors.inc({ reason });
    },
    notification(kind, outcome) {
      notifications.inc({ kind, outcome });
    },
    landed(env, leadSeconds) {
      landings.inc({ env });
      if (leadSeconds !== null) leadTime.observe({ env }, leadSeconds);
    },
    promotionEnded(env, kind, outcome, approvalWaitSeconds) {
      promotions.inc({ env, kind, outcome });
      if (kind === 'rollback' && outcome === 'merged') rollbacks.inc({ env });
      if (approvalWaitSeconds !== null) approvalWait.observe({ env }, approvalWaitSeconds);
    },
    gateRound(env, outcome) {
      gateRounds.inc({ env, outcome });
    },
    trackOpenPromotions(read) {
      readOpen = read;
    },
    trackQueueDepth(read) {
      readDepth = read;
    },
  };
}
