import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { GATE_PRESETS } from './gate-presets.js';

/**
 * The PromotionPolicy: which apps promobot moves, through which environments of which deploy repo, and what must
 * hold before each step. One or more YAML files under `PROMOBOT_POLICIES`. `policies/schema.json` is generated from
 * this file, so every `.describe()` here is the help an editor shows: write them for the person editing YAML.
 *
 * What a JSON Schema cannot say (environment order, unknown gate names, uniqueness across files) is checked by
 * `checkPolicy` and `checkPolicySet`.
 */

/** `90s`, `10m`, `1h30m`, `2d`: parsed to milliseconds by `parseDuration`. */
export const Duration = z
  .string()
  .regex(/^(?:\d+(?:ms|s|m|h|d))+$/, 'a duration like 30s, 10m or 1h30m')
  .describe('A duration like 30s, 10m or 1h30m (units: ms, s, m, h, d).');

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const Name = z.string().regex(DNS_LABEL, 'lowercase letters, digits and "-" (a DNS label)');

/** A user login, or `team:<org>/<team>`. */
export const Approver = z
  .string()
  .regex(/^(?:team:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+|[A-Za-z0-9_.-]+)$/, 'a user login or team:<org>/<team>')
  .describe('A user login, or a team as team:<org>/<team>.');

/**
 * A folder inside the deploy repo: relative, with no `..` segment, so no policy can make the bot write outside
 * the repo or into another team's folder by climbing up.
 */
const RepoPath = z
  .string()
  .min(1)
  .regex(/^(?!\/)(?!(?:.*\/)?\.\.(?:\/|$))[^\\]+$/, 'a relative path inside the deploy repo, without ".."');

export const DeployRepo = z
  .object({
    scm: z.enum(['gitea', 'github']).describe('Where the deploy repo is hosted.'),
    repo: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name')
      .describe('The deploy repo as owner/name on the SCM host, e.g. bootcamp/notes-deploy.'),
    branch: z.string().min(1).default('main').describe('Branch Argo CD syncs from; promotions land here.'),
    url: z
      .string()
      .min(1)
      .optional()
      .describe("Clone URL when it is not the host's usual HTTPS URL (a mirror, a local path in tests)."),
    protection: z
      .object({
        manage: z
          .boolean()
          .default(true)
          .describe(
            '`promobot setup` makes the branch require the promobot/* statuses before merge and limits direct ' +
              'pushes to promobot and `pushers`. false: setup leaves the branch protection alone.',
          ),
        pushers: z
          .array(z.string().min(1).max(100))
          .max(100)
          .default([])
          .describe(
            'Logins of people who may still push straight to the branch (besides promobot). Default: nobody; ' +
              'people change the branch through pull requests.',
          ),
      })
      .strict()
      .default({ manage: true, pushers: [] })
      .describe('Branch protection that `promobot setup` keeps on the deploy branch.'),
  })
  .strict()
  .describe('The git repository holding every environment’s manifests.');

/** A cron expression (5 fields, or 6 with seconds) as cron-parser reads it. */
const CronExpression = z
  .string()
  .min(1)
  .max(200)
  .refine((text) => {
    try {
      CronExpressionParser.parse(text);
      return true;
    } catch {
      return false;
    }
  }, 'a cron expression like "0 18 * * 5" (minute hour day-of-month month day-of-week)');

/** An IANA time zone name such as Europe/Berlin. */
const TimeZone = z
  .string()
  .min(1)
  .max(100)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Europe/Berlin or UTC');

export const FreezeWindow = z
  .object({
    reason: z.string().min(1).max(200).describe('Why promotions stop; shown on every frozen PR.'),
    cron: CronExpression.optional().describe(
      'Recurring window: when it starts, as a cron expression read in timeZone (e.g. "0 18 * * 5", Fridays 18:00).',
    ),
    duration: Duration.optional().describe(
      'With cron: how long each window lasts, in elapsed time (62h from Friday 18:00 ends Monday 08:00).',
    ),
    endCron: CronExpression.optional().describe(
      'With cron, instead of duration: the window ends at the first time this expression matches after its start ' +
        '(wall-clock time in timeZone, whatever daylight saving does in between).',
    ),
    timeZone: TimeZone.default('UTC').describe('Time zone the cron expressions are read in. Default: UTC.'),
    from: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Dated window: its start, an ISO 8601 time with offset (2026-12-20T00:00:00+01:00).'),
    to: z.iso.datetime({ offset: true }).optional().describe('Dated window: its end (exclusive).'),
  })
  .strict()
  .superRefine((w, ctx) => {
    const recurring = w.cron !== undefined;
    const dated = w.from !== undefined || w.to !== undefined;
    if (recurring === dated)
      ctx.addIssue({ code: 'custom', message: 'give either cron (with duration or endCron) or from and to' });
    if (recurring && (w.duration === undefined) === (w.endCron === undefined))
      ctx.addIssue({ code: 'custom', message: 'a cron window needs exactly one of duration and endCron' });
    if (!recurring && (w.duration !== undefined || w.endCron !== undefined))
      ctx.addIssue({ code: 'custom', message: 'duration and endCron belong to a cron window' });
    if (dated && (w.from === undefined || w.to === undefined))
      ctx.addIssue({ code: 'custom', message: 'a dated window needs both from and to' });
    else if (dated && Date.parse(w.from!) >= Date.parse(w.to!))
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must come after from' });
  })
  .describe(
    'A time when promotions are prepared and gated but not merged: recurring (cron) or dated (from/to).',
  );

export const Freeze = z
  .object({
    windows: z.array(FreezeWindow).min(1).max(50).describe('The freeze windows.'),
    freezeRollbacks: z
      .boolean()
      .default(false)
      .describe('Rollback PRs wait for the window to end too. Default: rollbacks are never frozen.'),
    overrideApprovers: z
      .array(Approver)
      .max(100)
      .optional()
      .describe('Who may /unfreeze a frozen PR. Default: the environment’s approvers.'),
  })
  .strict()
  .describe(
    'Freeze windows: while one is open, promotion PRs are opened and gated but not merged; they merge by themselves ' +
      'when it ends (if still approved and green).',
  );

export const TagRules = z
  .object({
    allow: z
      .string()
      .default('^[0-9a-f]{7,40}$')
      .describe(
        'Regular expression a tag must match to be promoted. Default: a git sha, 7 to 40 hex characters.',
      ),
    deny: z
      .string()
      .optional()
      .describe('Regular expression of tags never promoted, checked after allow (e.g. ^latest$).'),
  })
  .strict()
  .describe('Which image tags are promoted at all.');

export const App = z
  .object({
    name: Name.describe(
      'Name of the app, unique across all policies (a DNS label). Replaces {{app}} in paths.',
    ),
    image: z
      .string()
      .regex(/^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+$/, 'registry/path without tag or digest')
      .describe(
        'Image without tag or digest: registry/project/repository, e.g. harbor.example.com/bootcamp/chat-ui. ' +
          'One image belongs to exactly one app across all policies.',
      ),
    tags: TagRules.default({ allow: '^[0-9a-f]{7,40}$' }),
    pinDigest: z
      .boolean()
      .default(false)
      .describe('Write repository:tag@sha256:… instead of only the tag, when the registry sent a digest.'),
    helmTagPaths: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Helm values key paths holding this app’s tag, e.g. chatUi.image.tag, when no image: key names it.',
      ),
  })
  .strict()
  .describe('One image repository and where it lives in each environment.');

export const Approvals = z
  .object({
    required: z.number().int().min(0).default(1).describe('How many approvals from approvers the PR needs.'),
    approvers: z
      .array(Approver)
      .default([])
      .describe(
        'Users and team:<org>/<team> whose approval counts. Empty: anyone with write permission on the deploy repo.',
      ),
    allowAuthor: z
      .boolean()
      .default(false)
      .describe('May the person who caused the promotion (the PR author or the /promote caller) approve it?'),
  })
  .strict()
  .describe('Human approval a pull-request environment needs before it merges.');

export const Gating = z
  .object({
    interval: Duration.default('1m').describe('Time between two rounds of gate evaluation.'),
    passes: z.number().int().min(1).default(3).describe('Consecutive passing rounds needed for success.'),
    failureLimit: z.number().int().min(1).default(2).describe('Failing rounds that make the gates fail.'),
    maxInconclusive: Duration.default('15m').describe(
      'How long the gates may stay inconclusive (no data, too little traffic) before that counts as failure.',
    ),
  })
  .strict()
  .describe('How the gates are evaluated over time.');

/** An Argo CD Application name template: lowercase name characters, and {{app}} / {{env}}. */
const ApplicationTemplate = z
  .string()
  .max(253)
  .regex(
    /^(?:[a-z0-9.-]|\{\{(?:app|env)\}\})+$/,
    'an Application name: lowercase letters, digits, "-", "." and the placeholders {{app}} and {{env}}',
  );
const VERIFY_TIMEOUT = Duration.default('15m').describe(
  'How long the candidate may take to be verified running before that counts as a failure.',
);
const VERIFY_ON_FAILURE = z
  .enum(['block', 'rollback'])
  .default('block')
  .describe(
    'What a failed verification (Degraded, a failed sync, the timeout) does besides blocking the next ' +
      "promotion and failing the PR's promobot/rollout status: block (nothing more), or rollback (also open " +
      'the rollback PR of this environment, under its rollback rules).',
  );

export const Verify = z
  .discriminatedUnion('provider', [
    z
      .object({
        provider: z.literal('argocd').describe('Ask Argo CD (ARGOCD_URL, ARGOCD_TOKEN) what runs.'),
        applications: z
          .array(ApplicationTemplate)
          .min(1)
          .max(20)
          .default(['{{app}}-{{env}}'])
          .describe(
            'Names of the Argo CD Applications that deploy this app here; {{app}} and {{env}} are replaced. ' +
              'Every one must run the candidate. Default: {{app}}-{{env}}.',
          ),
        appNamespace: Name.optional().describe(
          "Namespace of the Application objects, when they are not in Argo CD's own (apps in any namespace).",
        ),
        project: z
          .string()
          .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'an Argo CD project name')
          .optional()
          .describe(
            'Argo CD project of the Applications. With it Argo CD tells a missing Application (404) from one ' +
              'the token may not read (403), and doctor prints the exact RBAC line.',
          ),
        timeout: VERIFY_TIMEOUT,
        onFailure: VERIFY_ON_FAILURE,
      })
      .strict(),
    z
      .object({
        provider: z
          .literal('prometheus')
          .describe('For clusters promobot may not ask Argo CD: a PromQL condition that must hold.'),
        query: z
          .string()
          .min(1)
          .optional()
          .describe(
            'PromQL template that returns a non-empty result once the candidate runs. Placeholders as in gates, ' +
              'and {{tag}}, {{image}}, {{digest}}. Default (kube-state-metrics): the ready replicas of the ' +
              'ReplicaSet whose pods run <image>:<tag> in {{namespace}} reach its desired count, and no pod of ' +
              'another tag of the image is left.',
          ),
        timeout: VERIFY_TIMEOUT,
        onFailure: VERIFY_ON_FAILURE,
      })
      .strict(),
    z
      .object({
        provider: z
          .literal('none')
          .describe(
            'Do not check: the candidate counts as running once its commit lands. Gates may then measure the ' +
              'old version if the sync is late or failed.',
          ),
      })
      .strict(),
  ])
  .describe(
    'How promobot confirms the candidate really runs here before the soak starts and gates measure it. ' +
      'Absent: none.',
  );

export const Environment = z
  .object({
    name: Name.describe(
      'Name of the environment, unique in this policy (a DNS label). Replaces {{env}} in path.',
    ),
    path: RepoPath.describe(
      'Folder of this environment in the deploy repo, relative, without "..". {{app}} and {{env}} are replaced, ' +
        'e.g. {{app}}/{{env}}.',
    ),
    update: z
      .enum(['commit', 'pull-request'])
      .describe(
        'commit: the bot pushes the change directly. pull-request: the bot opens a PR people can review.',
      ),
    from: Name.optional().describe(
      'The environment (listed earlier) whose running tag this one takes. Absent: an entry environment, fed by ' +
        'image pushes.',
    ),
    namespace: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Kubernetes namespace, for gate query templates ({{namespace}}). Default: the environment name.',
      ),
    autoMerge: z
      .boolean()
      .default(false)
      .describe('pull-request only: merge the PR once every required status passes.'),
    mergeMethod: z
      .enum(['merge', 'squash', 'rebase'])
      .default('merge')
      .describe('pull-request only: how the bot merges.'),
    merger: z
      .enum(['bot', 'people'])
      .default('bot')
      .describe(
        'pull-request only: who merges once everything passes: the bot, or people (the bot only reports).',
      ),
    approvals: Approvals.optional(),
    gates: z
      .array(Name)
      .default([])
      .describe(
        `Gates that must pass, measured where the candidate already runs (the from environment): names from ` +
          `spec.gates or built-in presets (${GATE_PRESETS.join(', ')}).`,
      ),
    gating: Gating.default({ interval: '1m', passes: 3, failureLimit: 2, maxInconclusive: '15m' }),
    soak: Duration.optional().describe(
      "How long the candidate must have run in the from environment before this environment's PR opens.",
    ),
    watch: Duration.optional().describe(
      'After a merge, keep evaluating the gates here this long; on failure open a rollback PR.',
    ),
    verify: Verify.optional(),
    freeze: Freeze.optional().describe('Freeze windows of this environment (besides the policy’s own).'),
    rollback: z
      .object({
        skipGates: z.boolean().default(false).describe('Rollback PRs skip the gates.'),
        autoMerge: z.boolean().default(false).describe('Rollback PRs merge without waiting for people.'),
      })
      .strict()
      .default({ skipGates: false, autoMerge: false })
      .describe('How rollback PRs (from watch or /rollback) behave.'),
  })
  .strict()
  .describe('One stage of the promotion path, in order: entry environments first.');

export const Threshold = {
  max: z.number().optional().describe('The value must stay at or below this.'),
  min: z.number().optional().describe('The value must stay at or above this.'),
  maxRatio: z
    .number()
    .positive()
    .optional()
    .describe(
      'Relative: candidate / baseline must stay at or below this. The baseline is the same query in the target ' +
        'environment, where the current tag runs.',
    ),
  maxIncrease: z
    .number()
    .optional()
    .describe(
      'Relative: candidate - baseline must stay at or below this. The baseline is the same query in the target ' +
        'environment, where the current tag runs.',
    ),
};

export const Gate = z
  .object({
    name: Name.describe(
      'Name environments use in their gates list. A preset name here overrides that preset.',
    ),
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        'PromQL template returning one value per series. Placeholders: {{app}}, {{from}}, {{to}}, {{namespace}}, ' +
          "{{fromNamespace}}, {{window}}, and the candidate's {{tag}}, {{image}}, {{digest}} (the baseline gets " +
          'the tag the target runs now).',
      ),
    preset: z
      .enum(GATE_PRESETS)
      .optional()
      .describe('A built-in gate to start from instead of a query; thresholds set here replace its own.'),
    window: Duration.optional().describe('Range of the query ({{window}}). Default: 5m.'),
    candidate: z
      .enum(['all', 'version', 'pod'])
      .optional()
      .describe(
        'With a preset: which series count. all (default): every series of the environment. version: only ' +
          "series whose version label (candidateLabel) is the candidate's tag (the baseline: the current tag). " +
          'pod: only series of pods running <image>:<tag>, by their pod label joined with kube-state-metrics ' +
          'kube_pod_container_info.',
      ),
    candidateLabel: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Prometheus label name')
      .optional()
      .describe('The version label for candidate: version. Default: version.'),
    ...Threshold,
  })
  .strict()
  .describe('A named Prometheus check with thresholds: a query or a preset, and at least one threshold.');

export const Traffic = z
  .object({
    query: z
      .string()
      .min(1)
      .describe('PromQL template counting requests in the window, same placeholders as gates.'),
    min: z.number().min(0).describe('Fewest requests in the window for a gate round to count at all.'),
  })
  .strict()
  .describe('Enough traffic: below min, a gate round is inconclusive, never a pass.');

/** Where a secret is read at send time: never written in the policy itself. */
export const SecretRef = z
  .union([
    z
      .object({
        env: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
          .describe('Name of the environment variable.'),
      })
      .strict()
      .describe('Read from this environment variable of the worker.'),
    z
      .object({ file: z.string().min(1).max(4096).describe('Path of the file.') })
      .strict()
      .describe('Read from this file of the worker (a mounted secret); surrounding whitespace is dropped.'),
  ])
  .describe('Where a secret is read: { env: NAME } or { file: /path }. Never the secret itself.');

/** Promotion events a notification sink can receive. */
export const NOTIFY_EVENT_KINDS = [
  'pr-opened',
  'gates-passed',
  'gates-failed',
  'merged',
  'rolled-back',
  'command-refused',
  'frozen',
  'unfrozen',
  'waiting-for-approval',
] as const;
export const NotifyEventKind = z.enum(NOTIFY_EVENT_KINDS).describe('A promotion event.');

export const NotifySink = z
  .object({
    name: Name.describe('Names the sink in logs and job ids; unique within the policy.'),
    kind: z
      .enum(['slack', 'webhook', 'feishu', 'dingtalk'])
      .describe(
        'slack: a Slack-compatible incoming webhook; webhook: a JSON POST signed with HMAC-SHA256; feishu and ' +
          'dingtalk: their custom bots, signed when a secret is given.',
      ),
    url: SecretRef.describe(
      'Where the webhook URL is read (it carries the bot token, so it is a secret too). Must be http(s).',
    ),
    secret: SecretRef.optional().describe(
      'Signing secret: required for webhook, optional for feishu and dingtalk (their "signature" security ' +
        'setting), not used by slack.',
    ),
    events: z
      .array(NotifyEventKind)
      .min(1)
      .optional()
      .describe('Which events this sink receives. Default: all of them.'),
    perMinute: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(20)
      .describe('At most this many messages a minute to this sink; the rest wait and are sent later.'),
  })
  .strict()
  .superRefine((sink, ctx) => {
    if (sink.kind === 'webhook' && !sink.secret)
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a webhook sink needs a signing secret' });
    if (sink.kind === 'slack' && sink.secret)
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'a slack sink is not signed; remove secret',
      });
  })
  .describe('Where promotion events are sent.');

const DEFAULT_COMMIT_MESSAGE = 'promote({{app}}): {{env}} {{fromShort}} → {{toShort}}';

export const PolicySpec = z
  .object({
    deployRepo: DeployRepo,
    apps: z
      .array(App)
      .min(1)
      .describe('The apps this policy promotes; each one moves through every environment.'),
    environments: z
      .array(Environment)
      .min(1)
      .describe('The promotion path, in order: an environment may only take from one listed before it.'),
    gates: z
      .array(Gate)
      .default([])
      .describe('Gates defined by this policy, referenced by name from environments.'),
    traffic: Traffic.optional(),
    freeze: Freeze.optional().describe('Freeze windows of every environment of this policy.'),
    notify: z
      .array(NotifySink)
      .max(20)
      .optional()
      .superRefine((sinks, ctx) => {
        const seen = new Set<string>();
        for (const [i, sink] of (sinks ?? []).entries()) {
          if (seen.has(sink.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `sink name ${sink.name} is used twice`,
            });
          seen.add(sink.name);
        }
      })
      .describe('Notification sinks: chat bots and webhooks told about promotion events.'),
    notifyAfter: z
      .object({
        waitingForApproval: Duration.describe(
          'A promotion or rollback PR ready in every way but its approvals for this long sends one ' +
            'waiting-for-approval event per PR head (e.g. 4h).',
        ),
      })
      .strict()
      .optional()
      .describe('Events sent when something has waited too long.'),
    commit: z
      .object({
        message: z
          .string()
          .min(1)
          .default(DEFAULT_COMMIT_MESSAGE)
          .describe(
            'Commit subject template: {{app}}, {{env}}, {{from}} and {{to}} (old and new tag), {{fromShort}} and ' +
              '{{toShort}} (7 characters).',
          ),
      })
      .strict()
      .default({ message: DEFAULT_COMMIT_MESSAGE })
      .describe('How the bot writes its commits.'),
  })
  .strict()
  .describe('What to promote, where to, and what must hold before each step.');

export const PromotionPolicy = z
  .object({
    apiVersion: z.literal('promobot.dev/v1alpha1').describe('Version of the policy format.'),
    kind: z.literal('PromotionPolicy').describe('Always PromotionPolicy.'),
    metadata: z
      .object({ name: Name.describe('Name of the policy, unique across all policy files (a DNS label).') })
      .strict()
      .describe('Names this policy in logs, PR bodies and messages.'),
    spec: PolicySpec,
  })
  .strict()
  .meta({
    title: 'PromotionPolicy',
    description:
      'Which apps promobot promotes, through which environments of which deploy repo, and what must hold.',
  });

export type Duration = z.infer<typeof Duration>;
export type DeployRepo = z.infer<typeof DeployRepo>;
export type App = z.infer<typeof App>;
export type Approvals = z.infer<typeof Approvals>;
export type Gating = z.infer<typeof Gating>;
export type Verify = z.infer<typeof Verify>;
export type Environment = z.infer<typeof Environment>;
export type Gate = z.infer<typeof Gate>;
export type Traffic = z.infer<typeof Traffic>;
export type Freeze = z.infer<typeof Freeze>;
export type FreezeWindow = z.infer<typeof FreezeWindow>;
export type PolicySpec = z.infer<typeof PolicySpec>;
export type PromotionPolicy = z.infer<typeof PromotionPolicy>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1h30m` → 5_400_000. Throws on anything {@link Duration} refuses. */
export function parseDuration(text: string): number {
  if (!Duration.safeParse(text).success) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g))
    total += Number(n) * (UNIT_MS[unit as string] ?? 0);
  return total;
}
