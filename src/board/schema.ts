import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Adds `.openapi()` to zod schemas, so the OpenAPI document is generated from the very schemas the API parses with.
extendZodWithOpenApi(z);

/** Caps on what one snapshot holds, whatever a PR or a commit says: the board stays small and fast to send. */
export const MAX_PROMOTIONS_PER_APP = 50;
export const MAX_HISTORY_PER_ENV = 20;
export const MAX_TEXT = 500;

const Text = z.string().max(MAX_TEXT);
const Login = z.string().max(200);
/** Epoch milliseconds. */
const Millis = z.number().int();

export const EnvironmentCell = z
  .object({
    env: z.string(),
    /** The tag the deploy repo pins for the app in this environment; null when it pins none. */
    tag: z.string().nullable(),
    /** When that tag came into the environment (commit time), epoch ms; null when unknown. */
    since: Millis.nullable(),
    /**
     * Whether the tag is verified running (promobot's rollout record), for environments with `verify:`; null
     * where the environment verifies nothing or no record is kept yet.
     */
    verification: z
      .object({
        state: z.enum(['verified', 'waiting', 'failed']),
        /** The tag the record is about: the cell's tag, or an older one while the new one is not looked at yet. */
        tag: z.string(),
        verifiedAt: Millis.nullable(),
        reason: Text,
      })
      .nullable()
      .default(null),
  })
  .openapi('EnvironmentCell');
export type EnvironmentCell = z.infer<typeof EnvironmentCell>;

export const PromotionStatus = z
  .enum([
    'soaking',
    'gating',
    'gates-failed',
    'awaiting-approval',
    'held',
    'waiting-rollout',
    'frozen',
    'blocked',
    'ready',
  ])
  .openapi('PromotionStatus', {
    description:
      'One word for where an open promotion stands, in this order of precedence: held, waiting-rollout (its source environment is not yet verified running the tag), frozen (a freeze window), soaking, gates-failed, gating, awaiting-approval, blocked (anything else that stops the merge), ready.',
  });
export type PromotionStatus = z.infer<typeof PromotionStatus>;

export const GateProgress = z
  .object({
    status: z.enum(['pending', 'success', 'failure']),
    /** Rounds evaluated so far, and passing rounds in a row the soak needs. */
    round: z.number().int().min(0),
    consecutivePasses: z.number().int().min(0),
    passesNeeded: z.number().int().min(1),
    failures: z.number().int().min(0),
    failureLimit: z.number().int().min(1),
    lastOutcome: z.string().nullable(),
    lastReason: Text.nullable(),
    lastRoundAt: Millis.nullable(),
    conclusion: Text.nullable(),
  })
  .openapi('GateProgress');
export type GateProgress = z.infer<typeof GateProgress>;

/** Rounds kept per PR head for the chart, and series per gate in each. */
export const MAX_ROUNDS = 100;
export const MAX_SERIES = 5;

export const GateRoundPoint = z
  .object({
    round: z.number().int().min(1),
    /** When Prometheus was asked, epoch ms. */
    at: Millis,
    outcome: z.enum(['pass', 'fail', 'inconclusive']),
    gates: z
      .array(
        z.object({
          gate: z.string().max(200),
          verdict: z.enum(['pass', 'fail', 'inconclusive']),
          thresholds: z.object({
            max: z.number().optional(),
            min: z.number().optional(),
            maxRatio: z.number().optional(),
            maxIncrease: z.number().optional(),
          }),
          /** The round's query in Prometheus' graph page; null when no Prometheus URL is known. */
          queryUrl: z.string().max(4_000).nullable().default(null),
          /** Candidate (and, for relative gates, baseline) value per series; null when Prometheus had none. */
          series: z
            .array(
              z.object({
                name: z.string().max(MAX_TEXT),
                value: z.number().nullable(),
                baseline: z.number().nullable(),
              }),
            )
            .max(MAX_SERIES),
        }),
      )
      .max(50),
  })
  .openapi('GateRoundPoint', { description: 'One gate round, as measured: the per-gate chart plots these.' });
export type GateRoundPoint = z.infer<typeof GateRoundPoint>;

export const Promotion = z
  .object({
    policy: z.string(),
    app: z.string(),
    env: z.string(),
    from: z.string().nullable(),
    kind: z.enum(['promotion', 'rollback']),
    tag: z.string(),
    previousTag: z.string().nullable(),
    pr: z.object({ number: z.number().int().positive(), url: z.string(), headSha: z.string() }),
    /** The PR's head commit on the code host, derived from the PR's URL; null when that URL has another shape. */
    commitUrl: z.string().nullable(),
    status: PromotionStatus,
    /** The status in words, e.g. "0 of 1 approvals so far; the gates are still running". */
    words: Text,
    /** Every condition that keeps the PR from merging now. */
    reasons: z.array(Text).max(20),
    soakingUntil: Millis.nullable(),
    approvals: z.object({
      count: z.number().int().min(0),
      required: z.number().int().min(0),
      by: z.array(Login).max(50),
    }),
    holds: z.array(z.object({ by: Login, reason: Text.nullable(), at: z.string() })).max(50),
    gates: GateProgress.nullable(),
    /** The environment's gate names (presets or custom). */
    gateNames: z.array(z.string()).max(50),
    /** The gate rounds of the current head, oldest first. */
    rounds: z.array(GateRoundPoint).max(MAX_ROUNDS),
    /** Since when only approvals were missing (first seen so by the worker), epoch ms; null otherwise. */
    awaitingApprovalSince: Millis.nullable(),
  })
  .openapi('Promotion');
export type Promotion = z.infer<typeof Promotion>;

export const HistoryEntry = z
  .object({
    env: z.string(),
    tag: z.string(),
    since: Millis.nullable(),
    commit: z.string().nullable(),
    /** The commit that replaced the tag; null while it still runs. */
    endedBy: z.string().nullable(),
    author: Text.nullable(),
    subject: Text.nullable(),
    /** `Promobot-*` trailers of the commit that brought the tag in: who approved, why. */
    trailers: z.record(z.string().max(100), z.string().max(MAX_TEXT)),
  })
  .openapi('HistoryEntry');
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** Candidates whose journey one snapshot keeps. */
export const MAX_JOURNEYS = 20;

export const JourneyStep = z
  .object({
    env: z.string(),
    /** `landed`: the environment ran (or runs) the tag; `pending`: an open PR brings it there. */
    state: z.enum(['landed', 'pending']),
    /** When the tag came into the environment (commit time), epoch ms; null while pending or unknown. */
    at: Millis.nullable(),
    commit: z.string().nullable(),
    /** Who approved the merge (`Promobot-Approved-By`), or, while pending, the approvals counted so far. */
    approvedBy: z.array(Login).max(50),
    /** The step brought the tag back as a rollback. */
    rollback: z.boolean(),
    /** The gates' verdict in words; null when the step had no gates or none is known. */
    gates: Text.nullable(),
    /** A pending step's status in words. */
    words: Text.nullable(),
    prUrl: z.string().max(2_000).nullable(),
    /** When a rollback replaced the tag in this environment, epoch ms; null when none did. */
    rolledBackAt: Millis.nullable(),
    /** When another tag replaced it (rollback or not), epoch ms; null while it runs or unknown. */
    replacedAt: Millis.nullable(),
  })
  .openapi('JourneyStep');
export type JourneyStep = z.infer<typeof JourneyStep>;

export const Journey = z
  .object({
    tag: z.string(),
    /** When the image was pushed (promobot's push record), epoch ms; null when not recorded. */
    pushedAt: Millis.nullable(),
    /** In environment order, then time. */
    steps: z.array(JourneyStep).max(50),
  })
  .openapi('Journey', { description: 'One candidate on its way: pushed → dev → staging → prod.' });
export type Journey = z.infer<typeof Journey>;

export const AppBoard = z
  .object({
    policy: z.string(),
    app: z.string(),
    image: z.string(),
    /** `owner/name` of the deploy repo and its web URL, for links. */
    deployRepo: z.object({ scm: z.enum(['gitea', 'github']), repo: z.string() }),
    environments: z.array(EnvironmentCell),
    promotions: z.array(Promotion).max(MAX_PROMOTIONS_PER_APP),
    history: z.array(HistoryEntry),
    /** The journey of each recent candidate, newest first. */
    journeys: z.array(Journey).max(MAX_JOURNEYS).default([]),
    /** The newest image push promobot recorded for the app (its tag and push time), for lead times. */
    lastPush: z.object({ tag: z.string(), at: Millis }).nullable(),
    /** When the worker computed this, epoch ms. */
    updatedAt: Millis,
  })
  .openapi('AppBoard');
export type AppBoard = z.infer<typeof AppBoard>;

export const AppsResponse = z
  .object({
    /** Environment names in policy order, over every app shown. */
    environments: z.array(z.string()),
    apps: z.array(AppBoard.omit({ history: true, journeys: true })),
    generatedAt: Millis,
  })
  .openapi('AppsResponse');
export type AppsResponse = z.infer<typeof AppsResponse>;

export const PromotionsResponse = z
  .object({ promotions: z.array(Promotion), generatedAt: Millis })
  .openapi('PromotionsResponse');

export const EnvironmentsResponse = z
  .object({
    environments: z.array(
      z.object({
        env: z.string(),
        apps: z.array(EnvironmentCell.extend({ policy: z.string(), app: z.string() })),
      }),
    ),
    generatedAt: Millis,
  })
  .openapi('EnvironmentsResponse');

export const HistoryResponse = z
  .object({ policy: z.string(), app: z.string(), history: z.array(HistoryEntry) })
  .openapi('HistoryResponse');

export const ErrorResponse = z.object({ error: z.string() }).openapi('Error');

/** What the worker publishes on the events channel; the page reloads the app it names. */
export const BoardEvent = z
  .object({
    kind: z.enum(['landing', 'pull-request', 'gate-round', 'command', 'reconcile']),
    policy: z.string().max(200),
    app: z.string().max(200),
    at: Millis,
  })
  .openapi('BoardEvent');
export type BoardEvent = z.infer<typeof BoardEvent>;
