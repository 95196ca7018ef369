import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/index.js';
import { CONFIG_PATH_TO_ENV, Config, ENV_VARS, type EnvVar, type EnvVarName } from './schema.js';

export type Env = Readonly<Record<string, string | undefined>>;
export type ReadFile = (path: string) => string;

/**
 * Reads the environment into a typed {@link Config}. Throws {@link ConfigError} naming every variable that is
 * missing or malformed, so start-up stops with one message that lists all of them.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Env, readFile: ReadFile = (p) => readFileSync(p, 'utf8')): Config {
  const problems: string[] = [];
  const raw = new Map<EnvVarName, string | string[] | undefined>();

  for (const variable of ENV_VARS as readonly EnvVar[]) {
    const name = variable.name as EnvVarName;
    let value = blankToUndefined(env[name]);
    const fileVar = `${name}_FILE`;
    const filePath = variable.secret ? blankToUndefined(env[fileVar]) : undefined;
    if (value !== undefined && filePath !== undefined) {
      problems.push(`${name} and ${fileVar} are both set: keep one`);
      continue;
    }
    if (filePath !== undefined) {
      try {
        value = readFile(filePath);
      } catch (error) {
        problems.push(
          `${fileVar}: cannot read ${filePath} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
        continue;
      }
    }
    if (value === undefined) value = variable.default;
    if (value === undefined) {
      raw.set(name, undefined);
    } else if (variable.list) {
      // A file holds one secret per line; the variable separates them with commas.
      raw.set(
        name,
        value
          .split(filePath !== undefined ? /\r?\n/ : ',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
    } else {
      raw.set(name, variable.secret ? value.trim() : value);
    }
  }
  problems.push(...githubAuthProblems(raw));
  if (problems.length > 0) throw new ConfigError(problems);

  const get = (name: EnvVarName) => raw.get(name);
  const candidate = {
    port: get('PORT'),
    host: get('HOST'),
    redisUrl: get('REDIS_URL'),
    logLevel: get('LOG_LEVEL'),
    queuePrefix: get('PROMOBOT_QUEUE_PREFIX'),
    concurrency: get('PROMOBOT_CONCURRENCY'),
    worker: {
      lockDurationMs: get('WORKER_LOCK_DURATION_MS'),
      stalledIntervalMs: get('WORKER_STALLED_INTERVAL_MS'),
    },
    bodyLimitBytes: get('PROMOBOT_BODY_LIMIT'),
    dataDir: get('PROMOBOT_DATA_DIR'),
    policiesDir: get('PROMOBOT_POLICIES'),
    publicUrl: get('PROMOBOT_PUBLIC_URL'),
    webhookSecrets: {
      harbor: get('HARBOR_WEBHOOK_SECRET'),
      gitea: get('GITEA_WEBHOOK_SECRET'),
      github: get('GITHUB_WEBHOOK_SECRET'),
      registry: get('REGISTRY_WEBHOOK_SECRET'),
      argocd: get('ARGOCD_WEBHOOK_SECRET'),
    },
    stateKeys: get('PROMOBOT_STATE_KEY'),
    gitea: { url: get('GITEA_URL'), token: get('GITEA_TOKEN') },
    github: {
      apiUrl: get('GITHUB_API_URL'),
      token: get('GITHUB_TOKEN'),
      app:
        get('GITHUB_APP_ID') === undefined
          ? undefined
          : {
              appId: get('GITHUB_APP_ID'),
              installationId: get('GITHUB_APP_INSTALLATION_ID'),
              privateKey: pemLines(get('GITHUB_APP_PRIVATE_KEY')),
            },
    },
    git: { authorName: get('GIT_AUTHOR_NAME'), authorEmail: get('GIT_AUTHOR_EMAIL') },
    harbor: { url: get('HARBOR_URL'), username: get('HARBOR_USERNAME'), password: get('HARBOR_PASSWORD') },
    prometheus: {
      url: get('PROMETHEUS_URL'),
      bearerToken: get('PROMETHEUS_BEARER_TOKEN'),
      username: get('PROMETHEUS_USERNAME'),
      password: get('PROMETHEUS_PASSWORD'),
      timeoutMs: get('PROMETHEUS_TIMEOUT_MS'),
    },
    argocd: { url: get('ARGOCD_URL'), token: get('ARGOCD_TOKEN'), caFile: get('ARGOCD_CA_FILE') },
    ui: {
      tokens: get('PROMOBOT_UI_TOKEN'),
      proxyCidrs: get('PROMOBOT_UI_PROXY_CIDRS'),
      anonymous: get('PROMOBOT_UI_ANONYMOUS'),
    },
  };

  const parsed = Config.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p) => typeof p === 'string').join('.');
      const variable = CONFIG_PATH_TO_ENV[path] ?? path;
      const secret = (ENV_VARS as readonly EnvVar[]).find((v) => v.name === variable)?.secret;
      // Never echo a secret's value back, even a malformed one.
      problems.push(`${variable}: ${issue.message}${secret ? '' : describeValue(env[variable])}`);
    }
    throw new ConfigError(problems);
  }
  const config = parsed.data;
  if ((config.prometheus.username === undefined) !== (config.prometheus.password === undefined)) {
    throw new ConfigError(['PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD go together: set both or neither']);
  }
  if (config.argocd.token !== undefined && config.argocd.url === undefined) {
    throw new ConfigError(['ARGOCD_URL: required when ARGOCD_TOKEN is set']);
  }
  if (config.gitea.token !== undefined && config.gitea.url === undefined) {
    throw new ConfigError(['GITEA_URL: required when GITEA_TOKEN is set']);
  }
  return config;
}

const GITHUB_APP_VARIABLES = [
  'GITHUB_APP_ID',
  'GITHUB_APP_INSTALLATION_ID',
  'GITHUB_APP_PRIVATE_KEY',
] as const satisfies readonly EnvVarName[];

/** GitHub is reached with a token or as an App, never both; an App needs all three of its settings. Pure. */
export function githubAuthProblems(raw: ReadonlyMap<EnvVarName, unknown>): string[] {
  const set = GITHUB_APP_VARIABLES.filter((name) => raw.get(name) !== undefined);
  if (set.length === 0) return [];
  if (raw.get('GITHUB_TOKEN') !== undefined)
    return [
      `GITHUB_TOKEN and ${set.join(', ')} are both set: keep one, a token or a GitHub App (GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY)`,
    ];
  const missing = GITHUB_APP_VARIABLES.filter((name) => raw.get(name) === undefined);
  if (missing.length === 0) return [];
  return [
    `${missing.join(' and ')}: required with ${set.join(' and ')}: a GitHub App needs GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE)`,
  ];
}

/** A PEM pasted into one line of an env file keeps its line breaks as `\n`: those are line breaks. */
function pemLines(value: string | string[] | undefined): string | string[] | undefined {
  return typeof value === 'string' && !value.includes('\n') && value.includes('\\n')
    ? value.replace(/\\n/g, '\n')
    : value;
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function describeValue(value: string | undefined): string {
  return value === undefined
    ? ''
    : ` (got ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)})`;
}
