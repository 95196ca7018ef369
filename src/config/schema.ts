import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';

/**
 * Every environment variable promobot reads, in one table. `secret: true` variables are also accepted as
 * `<NAME>_FILE` (a path whose content is the value), and webhook secrets take a list so one can be rotated
 * without downtime: several values separated by commas (or one per line in the file).
 *
 * This table is the source of the configuration reference in README.md.
 */
export interface EnvVar {
  readonly name: string;
  readonly description: string;
  readonly default?: string;
  readonly secret?: boolean;
  readonly list?: boolean;
}

export const ENV_VARS = [
  {
    name: 'PORT',
    description:
      'HTTP port of `serve` (webhooks, probes, metrics) and of `worker` (probes and metrics only).',
    default: '8080',
  },
  { name: 'HOST', description: 'Address `serve` and `worker` listen on.', default: '0.0.0.0' },
  {
    name: 'REDIS_URL',
    description: 'Redis for the queue, dedupe keys and locks.',
    default: 'redis://127.0.0.1:6379',
  },
  {
    name: 'LOG_LEVEL',
    description: 'pino level: fatal, error, warn, info, debug, trace or silent.',
    default: 'info',
  },
  { name: 'PROMOBOT_QUEUE_PREFIX', description: 'Key prefix of every queue in Redis.', default: 'promobot' },
  {
    name: 'PROMOBOT_CONCURRENCY',
    description:
      'Jobs one worker runs at once. Jobs mostly wait on git, the SCM and Redis, and a burst coalesces into as many apps per push as there are jobs running.',
    default: '32',
  },
  {
    name: 'WORKER_LOCK_DURATION_MS',
    description:
      "How long a worker's hold on a running job lasts unless renewed (it renews at half this). A job whose worker died (SIGKILL, OOM, a lost node) is taken over by another only after its hold has lapsed and a stalled check has run; lower it (with `WORKER_STALLED_INTERVAL_MS`) for a faster take-over, at the cost of more Redis writes and of a slow event loop losing the job to another worker.",
    default: '30000',
  },
  {
    name: 'WORKER_STALLED_INTERVAL_MS',
    description:
      'How often each worker looks for jobs whose worker died (their hold lapsed) and puts them back on the queue.',
    default: '30000',
  },
  {
    name: 'PROMOBOT_BODY_LIMIT',
    description: 'Largest webhook body accepted, in bytes.',
    default: '1048576',
  },
  {
    name: 'PROMOBOT_DATA_DIR',
    description: 'Where working copies of deploy repos are kept.',
    default: '.data',
  },
  { name: 'PROMOBOT_POLICIES', description: 'Directory of PromotionPolicy YAML files.', default: 'policies' },
  {
    name: 'PROMOBOT_PUBLIC_URL',
    description: 'URL at which Harbor, Gitea and GitHub reach promobot (for `webhooks sync`).',
  },
  {
    name: 'HARBOR_WEBHOOK_SECRET',
    description: 'Accepted `Authorization` header values of Harbor deliveries.',
    secret: true,
    list: true,
  },
  { name: 'GITEA_WEBHOOK_SECRET', description: 'HMAC secrets of Gitea webhooks.', secret: true, list: true },
  {
    name: 'GITHUB_WEBHOOK_SECRET',
    description: 'HMAC secrets of GitHub webhooks.',
    secret: true,
    list: true,
  },
  {
    name: 'REGISTRY_WEBHOOK_SECRET',
    description: 'Accepted `Authorization` header values of registry notifications.',
    secret: true,
    list: true,
  },
  {
    name: 'PROMOBOT_STATE_KEY',
    description:
      "Keys (at least 32 characters each) that sign the ChatOps state promobot keeps in each promotion PR's status comment, so a copy edited by a person is never trusted after Redis is lost. The first signs, any verifies. Without one, a PR whose Redis state is lost is held until a writer says /unhold.",
    secret: true,
    list: true,
  },
  { name: 'GITEA_URL', description: 'Base URL of Gitea, e.g. https://gitea.example.com.' },
  {
    name: 'GITEA_TOKEN',
    description:
      "Gitea token of promobot's account; its scopes and roles (repo admin, member of each `team:` approver) are in docs/ACCESS.md.",
    secret: true,
  },
  { name: 'GITHUB_API_URL', description: 'GitHub REST API base URL.', default: 'https://api.github.com' },
  {
    name: 'GITHUB_TOKEN',
    description:
      'GitHub token (contents, pull requests, statuses: write; members: read). Or, instead, a GitHub App: the three `GITHUB_APP_*` variables.',
    secret: true,
  },
  {
    name: 'GITHUB_APP_ID',
    description:
      'GitHub App id (the App\'s settings page, "App ID"), for promobot to act as the App instead of with `GITHUB_TOKEN`; set with the two below.',
  },
  {
    name: 'GITHUB_APP_INSTALLATION_ID',
    description:
      "The App's installation on the organization of the deploy repos (the number at the end of the installation's settings URL).",
  },
  {
    name: 'GITHUB_APP_PRIVATE_KEY',
    description:
      "The App's private key, PEM (as downloaded; `\\n` escapes are read as line breaks). Never written to disk or logs; installation tokens are made from it and refreshed 5 minutes before they expire.",
    secret: true,
  },
  {
    name: 'GIT_AUTHOR_NAME',
    description: 'Author and committer name of the bot commits.',
    default: 'promobot',
  },
  {
    name: 'GIT_AUTHOR_EMAIL',
    description: 'Author and committer e-mail of the bot commits.',
    default: 'promobot@localhost',
  },
  { name: 'HARBOR_URL', description: 'Harbor base URL (for `doctor` and `webhooks sync`).' },
  { name: 'HARBOR_USERNAME', description: 'Harbor user (for `webhooks sync`).' },
  {
    name: 'HARBOR_PASSWORD',
    description: 'Harbor password or robot secret (for `webhooks sync`).',
    secret: true,
  },
  { name: 'PROMETHEUS_URL', description: 'Prometheus (or Thanos query) base URL for gates.' },
  { name: 'PROMETHEUS_BEARER_TOKEN', description: 'Bearer token for Prometheus.', secret: true },
  { name: 'PROMETHEUS_USERNAME', description: 'Basic-auth user for Prometheus.' },
  { name: 'PROMETHEUS_PASSWORD', description: 'Basic-auth password for Prometheus.', secret: true },
  { name: 'PROMETHEUS_TIMEOUT_MS', description: 'Timeout of one Prometheus query.', default: '10000' },
  {
    name: 'ARGOCD_URL',
    description: 'Argo CD API server base URL, for `verify: { provider: argocd }` and `doctor`.',
  },
  {
    name: 'ARGOCD_TOKEN',
    description:
      'Argo CD API token of an account whose RBAC allows `applications, get` on the verified Applications.',
    secret: true,
  },
  {
    name: 'ARGOCD_WEBHOOK_SECRET',
    description: 'Accepted `Authorization` header values of argocd-notifications deliveries.',
    secret: true,
    list: true,
  },
  {
    name: 'PROMOBOT_UI_TOKEN',
    description:
      'Bearer token that opens the release board (`GET /`) and its API (`/api/v1`) on `serve`; several values separated by commas, for rotation. Without it (and without a proxy or anonymous access) the board answers 401.',
    secret: true,
    list: true,
  },
  {
    name: 'PROMOBOT_UI_PROXY_CIDRS',
    description:
      'Addresses (CIDRs, comma-separated) of a trusted reverse proxy such as oauth2-proxy: a board request from one of them that carries `X-Forwarded-User` or `X-Forwarded-Email` is let in as that person. Headers from any other address are ignored.',
    list: true,
  },
  {
    name: 'PROMOBOT_UI_ANONYMOUS',
    description: 'Set to `true` to open the read-only board and its API to anyone who reaches `serve`.',
    default: 'false',
  },
  {
    name: 'ARGOCD_CA_FILE',
    description:
      "PEM file of the CA that signed Argo CD's certificate, added to the system's (there is no switch to skip verification).",
  },
] as const satisfies readonly EnvVar[];

export type EnvVarName = (typeof ENV_VARS)[number]['name'];

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const redisUrl = z.url({ protocol: /^rediss?$/ });
const nonEmpty = z.string().min(1);
const secretList = z.array(nonEmpty).default([]);

/** Whether `pem` is a private key node can sign with (the App's JWT is signed with it). */
function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

/** The typed configuration every part of promobot receives; nothing else reads `process.env`. */
export const Config = z.object({
  port,
  host: nonEmpty,
  redisUrl,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  queuePrefix: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only'),
  concurrency: positiveInt,
  worker: z.object({
    lockDurationMs: z.coerce.number().int().min(1000, 'at least 1000 (one second)'),
    stalledIntervalMs: z.coerce.number().int().min(1000, 'at least 1000 (one second)'),
  }),
  bodyLimitBytes: positiveInt,
  dataDir: nonEmpty,
  policiesDir: nonEmpty,
  publicUrl: httpUrl.optional(),
  webhookSecrets: z.object({
    harbor: secretList,
    gitea: secretList,
    github: secretList,
    registry: secretList,
    argocd: secretList,
  }),
  stateKeys: z.array(z.string().min(32, 'at least 32 characters')).default([]),
  gitea: z.object({ url: httpUrl.optional(), token: nonEmpty.optional() }),
  github: z.object({
    apiUrl: httpUrl,
    token: nonEmpty.optional(),
    app: z
      .object({
        appId: z.string().regex(/^[1-9][0-9]{0,18}$/, "a number, the App ID of the App's settings page"),
        installationId: z.coerce
          .number()
          .int()
          .positive("a number, the id of the App's installation on the organization"),
        privateKey: z
          .string()
          .refine(isPrivateKey, 'not a PEM private key (-----BEGIN ... PRIVATE KEY----- ... -----END ...)'),
      })
      .optional(),
  }),
  git: z.object({
    authorName: nonEmpty,
    authorEmail: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'an e-mail address like bot@example.com'),
  }),
  harbor: z.object({ url: httpUrl.optional(), username: nonEmpty.optional(), password: nonEmpty.optional() }),
  prometheus: z.object({
    url: httpUrl.optional(),
    bearerToken: nonEmpty.optional(),
    username: nonEmpty.optional(),
    password: nonEmpty.optional(),
    timeoutMs: positiveInt,
  }),
  argocd: z.object({ url: httpUrl.optional(), token: nonEmpty.optional(), caFile: nonEmpty.optional() }),
  /** Who may read the release board and its API. */
  ui: z
    .object({
      tokens: secretList,
      proxyCidrs: z.array(z.cidrv4().or(z.cidrv6())).default([]),
      anonymous: z.enum(['true', 'false']).transform((v) => v === 'true'),
    })
    .default({ tokens: [], proxyCidrs: [], anonymous: false }),
});
export type Config = z.infer<typeof Config>;

/** Which variable each config path comes from, so a schema error names the variable. */
export const CONFIG_PATH_TO_ENV: Record<string, EnvVarName> = {
  port: 'PORT',
  host: 'HOST',
  redisUrl: 'REDIS_URL',
  logLevel: 'LOG_LEVEL',
  queuePrefix: 'PROMOBOT_QUEUE_PREFIX',
  concurrency: 'PROMOBOT_CONCURRENCY',
  'worker.lockDurationMs': 'WORKER_LOCK_DURATION_MS',
  'worker.stalledIntervalMs': 'WORKER_STALLED_INTERVAL_MS',
  bodyLimitBytes: 'PROMOBOT_BODY_LIMIT',
  dataDir: 'PROMOBOT_DATA_DIR',
  policiesDir: 'PROMOBOT_POLICIES',
  publicUrl: 'PROMOBOT_PUBLIC_URL',
  'webhookSecrets.harbor': 'HARBOR_WEBHOOK_SECRET',
  'webhookSecrets.gitea': 'GITEA_WEBHOOK_SECRET',
  'webhookSecrets.github': 'GITHUB_WEBHOOK_SECRET',
  'webhookSecrets.registry': 'REGISTRY_WEBHOOK_SECRET',
  stateKeys: 'PROMOBOT_STATE_KEY',
  'gitea.url': 'GITEA_URL',
  'gitea.token': 'GITEA_TOKEN',
  'github.apiUrl': 'GITHUB_API_URL',
  'github.token': 'GITHUB_TOKEN',
  'github.app.appId': 'GITHUB_APP_ID',
  'github.app.installationId': 'GITHUB_APP_INSTALLATION_ID',
  'github.app.privateKey': 'GITHUB_APP_PRIVATE_KEY',
  'git.authorName': 'GIT_AUTHOR_NAME',
  'git.authorEmail': 'GIT_AUTHOR_EMAIL',
  'harbor.url': 'HARBOR_URL',
  'harbor.username': 'HARBOR_USERNAME',
  'harbor.password': 'HARBOR_PASSWORD',
  'prometheus.url': 'PROMETHEUS_URL',
  'prometheus.bearerToken': 'PROMETHEUS_BEARER_TOKEN',
  'prometheus.username': 'PROMETHEUS_USERNAME',
  'prometheus.password': 'PROMETHEUS_PASSWORD',
  'prometheus.timeoutMs': 'PROMETHEUS_TIMEOUT_MS',
  'argocd.url': 'ARGOCD_URL',
  'argocd.token': 'ARGOCD_TOKEN',
  'argocd.caFile': 'ARGOCD_CA_FILE',
  'webhookSecrets.argocd': 'ARGOCD_WEBHOOK_SECRET',
  'ui.tokens': 'PROMOBOT_UI_TOKEN',
  'ui.proxyCidrs': 'PROMOBOT_UI_PROXY_CIDRS',
  'ui.anonymous': 'PROMOBOT_UI_ANONYMOUS',
};
