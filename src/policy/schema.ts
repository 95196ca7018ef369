import { z } from 'zod';

/**
 * The PromotionPolicy: which apps promobot moves, through which environments of which deploy repo, and what must
 * hold before each step. One or more YAML files under `PROMOBOT_POLICIES`. `policies/schema.json` is generated from
 * this file.
 */

/** `90s`, `10m`, `1h30m`, `2d`: parsed to milliseconds by `parseDuration`. */
export const Duration = z
  .string()
  .regex(/^(?:\d+(?:ms|s|m|h|d))+$/, 'a duration like 30s, 10m or 1h30m')
  .describe('A duration like 30s, 10m or 1h30m.');

const Name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and "-" (a DNS label)');

/** A user login, or `team:<org>/<team>`. */
export const Approver = z
  .string()
  .regex(/^(?:team:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+|[A-Za-z0-9_.-]+)$/, 'a user login or team:<org>/<team>');

export const DeployRepo = z
  .object({
    scm: z.enum(['gitea', 'github']),
    /** `owner/name` on the SCM host. */
    repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name'),
    branch: z.string().min(1).default('main'),
    /** Clone URL when it is not the host's usual HTTPS URL (a mirror, a local path in tests). */
    url: z.string().min(1).optional(),
  })
  .strict();

export const TagRules = z
  .object({
    /** Regular expression a tag must match to be written. Default: a git sha, 7 to 40 hex characters. */
    allow: z.string().default('^[0-9a-f]{7,40}$'),
    /** Regular expression of tags never written, checked after `allow`. */
    deny: z.string().optional(),
  })
  .strict();

export const App = z
  .object({
    name: Name,
    /** Image without tag: `registry/project/repository`. */
    image: z.string().regex(/^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._\/-]+$/, 'registry/path without tag or digest'),
    tags: TagRules.default({ allow: '^[0-9a-f]{7,40}$' }),
    /** Write `repo:tag@sha256:…` instead of only the tag. */
    pinDigest: z.boolean().default(false),
    /** Explicit Helm values key path(s) holding this app's tag, e.g. `chatUi.image.tag`. */
    helmTagPaths: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const Approvals = z
  .object({
    required: z.number().int().min(0).default(1),
    /** Users and `team:<org>/<team>`; empty means anyone with write permission on the deploy repo. */
    approvers: z.array(Approver).default([]),
    /** May the PR's author approve their own promotion? */
    allowAuthor: z.boolean().default(false),
  })
  .strict();

export const Gating = z
  .object({
    /** Time between two rounds of gate evaluation. */
    interval: Duration.default('1m'),
    /** Consecutive passing rounds needed for success. */
    passes: z.number().int().min(1).default(3),
    /** Failing rounds that make the gate fail. */
    failureLimit: z.number().int().min(1).default(2),
    /** How long the gates may stay inconclusive before that counts as failure. */
    maxInconclusive: Duration.default('15m'),
  })
  .strict();

export const Environment = z
  .object({
    name: Name,
    /** Folder of this environment in the deploy repo; `{{app}}` and `{{env}}` are replaced. */
    path: z.string().min(1),
    update: z.enum(['commit', 'pull-request']),
    /** The environment whose running tag this one takes. Absent: an entry environment, fed by image pushes. */
    from: Name.optional(),
    /** Kubernetes namespace, for gate query templates (`{{namespace}}`). Default: the environment name. */
    namespace: z.string().min(1).optional(),
    /** Merge the PR once every required status passes. */
    autoMerge: z.boolean().default(false),
    mergeMethod: z.enum(['merge', 'squash', 'rebase']).default('merge'),
    /** Who merges once everything passes: the bot, or people (the bot only reports). */
    merger: z.enum(['bot', 'people']).default('bot'),
    approvals: Approvals.optional(),
    /** Names of gates (from `spec.gates` or built-in presets) evaluated where the candidate already runs. */
    gates: z.array(z.string().min(1)).default([]),
    gating: Gating.default({ interval: '1m', passes: 3, failureLimit: 2, maxInconclusive: '15m' }),
    /** How long a candidate must have run upstream before this environment's PR opens. */
    soak: Duration.optional(),
    /** After a merge, keep evaluating the gates here this long; on failure open a rollback PR. */
    watch: Duration.optional(),
    rollback: z
      .object({ skipGates: z.boolean().default(false), autoMerge: z.boolean().default(false) })
      .strict()
      .default({ skipGates: false, autoMerge: false }),
  })
  .strict();

export const Threshold = {
  max: z.number().optional(),
  min: z.number().optional(),
  /** Candidate / baseline must stay at or below this ratio. */
  maxRatio: z.number().positive().optional(),
  /** Candidate - baseline must stay at or below this difference. */
  maxIncrease: z.number().optional(),
};

export const Gate = z
  .object({
    name: Name,
    /** PromQL template. `{{app}}`, `{{from}}`, `{{to}}`, `{{namespace}}`, `{{fromNamespace}}`, `{{window}}`. */
    query: z.string().min(1).optional(),
    /** A built-in preset this gate is based on (`ttft-p95`, `error-rate`, `vllm-ttft-p95`, `vllm-error-rate`). */
    preset: z.string().min(1).optional(),
    window: Duration.optional(),
    ...Threshold,
  })
  .strict();

export const Traffic = z
  .object({
    query: z.string().min(1),
    /** Fewest requests in the window for a round to count at all. */
    min: z.number().min(0),
  })
  .strict();

export const PolicySpec = z
  .object({
    deployRepo: DeployRepo,
    apps: z.array(App).min(1),
    environments: z.array(Environment).min(1),
    gates: z.array(Gate).default([]),
    traffic: Traffic.optional(),
    commit: z
      .object({
        /** Template of the commit subject: `{{app}}`, `{{env}}`, `{{from}}` (old tag), `{{to}}` (new tag). */
        message: z.string().min(1).default('promote({{app}}): {{env}} {{fromShort}} → {{toShort}}'),
      })
      .strict()
      .default({ message: 'promote({{app}}): {{env}} {{fromShort}} → {{toShort}}' }),
  })
  .strict();

export const PromotionPolicy = z
  .object({
    apiVersion: z.literal('promobot.dev/v1alpha1'),
    kind: z.literal('PromotionPolicy'),
    metadata: z.object({ name: Name }).strict(),
    spec: PolicySpec,
  })
  .strict();

export type Duration = z.infer<typeof Duration>;
export type DeployRepo = z.infer<typeof DeployRepo>;
export type App = z.infer<typeof App>;
export type Approvals = z.infer<typeof Approvals>;
export type Gating = z.infer<typeof Gating>;
export type Environment = z.infer<typeof Environment>;
export type Gate = z.infer<typeof Gate>;
export type Traffic = z.infer<typeof Traffic>;
export type PolicySpec = z.infer<typeof PolicySpec>;
export type PromotionPolicy = z.infer<typeof PromotionPolicy>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1h30m` → 5_400_000. Throws on anything {@link Duration} refuses. */
export function parseDuration(text: string): number {
  if (!Duration.safeParse(text).success) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(n) * (UNIT_MS[unit as string] ?? 0);
  return total;
}
