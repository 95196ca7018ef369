import type { Config } from '../config/index.js';
import { errorMessage } from '../errors/index.js';
import { createPrometheusClient, describeQueryError } from '../gates/index.js';
import { formatProblem, loadPolicies, type PromotionPolicy } from '../policy/index.js';
import { adviseHookFailure } from './advise.js';
import { checkGateQueries, gateQueries } from './check-gate-queries.js';
import { checkGitRead } from './check-git-read.js';
import { checkRedis } from './check-redis.js';
import type { DoctorCheck } from './doctor-check.js';
import { createGiteaApi } from './gitea-hooks.js';
import { createGitHubApi } from './github-hooks.js';
import { createHarborApi } from './harbor-hooks.js';
import { HttpStatusError } from './json-client.js';
import { judgeScmAccess, readScmAccess } from './scm-access.js';
import { syncWebhooks } from './sync-webhooks.js';
import { z } from 'zod';

export interface DoctorInput {
  readonly config: Config;
  /** Where git's PATH and HOME come from. */
  readonly baseEnv: NodeJS.ProcessEnv;
  /** Deadline of each network check; default 5 s. */
  readonly timeoutMs?: number;
}

const TOKEN_VARIABLE = { gitea: 'GITEA_TOKEN', github: 'GITHUB_TOKEN' } as const;

/**
 * Checks every connection and permission promobot needs, changing nothing: Redis, the policies, each SCM token
 * and deploy repo, Harbor, Prometheus and every gate query, and the webhook registrations. Each check carries the
 * exact fix when it fails; never throws for a failed check.
 */
export async function runDoctor(input: DoctorInput): Promise<DoctorCheck[]> {
  const { config } = input;
  const timeoutMs = input.timeoutMs ?? 5_000;
  const checks: DoctorCheck[] = [];

  checks.push(await checkRedis(config.redisUrl, timeoutMs));

  const { policies, problems } = await loadPolicies(config.policiesDir);
  checks.push(
    problems.length === 0
      ? {
          group: 'Policies',
          name: config.policiesDir,
          status: policies.length > 0 ? 'pass' : 'warn',
          detail: `${policies.length} policies load`,
          ...(policies.length === 0
            ? { fix: 'add a PromotionPolicy YAML file, or point PROMOBOT_POLICIES at yours' }
            : {}),
        }
      : {
          group: 'Policies',
          name: config.policiesDir,
          status: 'fail',
          detail: problems.map((p) => formatProblem(p, p.file)).join('; '),
          fix: 'fix the files as `promobot validate` shows',
        },
  );

  checks.push(...(await checkDeployRepos(input, policies, timeoutMs)));
  checks.push(...(await checkHarbor(config, timeoutMs)));
  checks.push(...(await checkPrometheus(config, policies, timeoutMs)));
  checks.push(...(await checkWebhooks(config, policies)));
  return checks;
}

async function checkDeployRepos(
  input: DoctorInput,
  policies: readonly PromotionPolicy[],
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const { config } = input;
  const checks: DoctorCheck[] = [];
  const seen = new Set<string>();
  for (const policy of policies) {
    const { scm, repo, branch, url } = policy.spec.deployRepo;
    const key = `${scm} ${repo.toLowerCase()} ${branch}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const tokenVariable = TOKEN_VARIABLE[scm];
    const token = scm === 'gitea' ? config.gitea.token : config.github.token;
    const hostUrl = scm === 'gitea' ? config.gitea.url : config.github.apiUrl;
    const name = `${repo} token`;
    if (token === undefined || hostUrl === undefined) {
      checks.push({
        group: 'SCM tokens',
        name,
        status: 'fail',
        detail: `policy ${policy.metadata.name} keeps its deploy repo on ${scm}, but ${scm === 'gitea' ? 'GITEA_URL or GITEA_TOKEN' : 'GITHUB_TOKEN'} is not set`,
        fix:
          scm === 'gitea'
            ? 'set GITEA_URL and GITEA_TOKEN (a token with write:repository, write:issue, read:organization)'
            : 'set GITHUB_TOKEN (repo and read:org scopes)',
      });
    } else {
      const api =
        scm === 'gitea'
          ? createGiteaApi(hostUrl, token, timeoutMs)
          : createGitHubApi(hostUrl, token, timeoutMs);
      try {
        const verdict = judgeScmAccess(scm, repo, await readScmAccess(api, repo));
        checks.push({
          group: 'SCM tokens',
          name,
          status: verdict.ok ? 'pass' : 'fail',
          detail: verdict.detail,
          ...(verdict.fix === undefined ? {} : { fix: verdict.fix }),
        });
      } catch (error) {
        checks.push({
          group: 'SCM tokens',
          name,
          status: 'fail',
          detail: errorMessage(error),
          fix: adviseToken(scm, repo, hostUrl, error),
        });
      }
    }
    const cloneUrl =
      url ??
      (scm === 'gitea' && config.gitea.url !== undefined
        ? `${config.gitea.url}/${repo}.git`
        : scm === 'github'
          ? `${webRoot(config.github.apiUrl)}/${repo}.git`
          : undefined);
    if (cloneUrl === undefined) {
      checks.push({
        group: 'Deploy repos',
        name: `${repo} read (${branch})`,
        status: 'skip',
        detail: 'no clone URL: GITEA_URL is not set and the policy has no deployRepo.url',
        fix: 'set GITEA_URL',
      });
      continue;
    }
    checks.push(
      await checkGitRead(
        { repo, url: cloneUrl, branch, token, baseEnv: input.baseEnv, timeoutMs: timeoutMs * 4 },
        tokenVariable,
      ),
    );
  }
  return checks;
}

function adviseToken(scm: 'gitea' | 'github', repo: string, hostUrl: string, error: unknown): string {
  const variable = TOKEN_VARIABLE[scm];
  if (error instanceof HttpStatusError && error.status === 401) {
    return scm === 'gitea'
      ? `${variable} is not accepted by ${hostUrl}: create a token (Settings → Applications) with write:repository, write:issue, read:organization, read:user and set ${variable}`
      : `${variable} is not accepted: create a token with the repo and read:org scopes and set ${variable}`;
  }
  if (error instanceof HttpStatusError && error.status === 404 && error.url.includes('/repos/')) {
    return `${repo} does not exist for the token's user: check spec.deployRepo.repo, and give the user access to it`;
  }
  return adviseHookFailure(scm, repo, error);
}

/** `https://api.github.com` → `https://github.com`; a GitHub Enterprise `/api/v3` root → its web root. */
function webRoot(apiUrl: string): string {
  if (/^https:\/\/api\.github\.com\/?$/.test(apiUrl)) return 'https://github.com';
  return apiUrl.replace(/\/api\/v3\/?$/, '');
}

async function checkHarbor(config: Config, timeoutMs: number): Promise<DoctorCheck[]> {
  const url = config.harbor.url;
  if (url === undefined) {
    return [
      {
        group: 'Harbor',
        name: 'HARBOR_URL',
        status: 'skip',
        detail: 'not set: promobot only receives Harbor webhooks, and webhooks sync skips Harbor',
      },
    ];
  }
  const { username, password } = config.harbor;
  const auth = username !== undefined && password !== undefined ? { username, password } : undefined;
  const api = createHarborApi(url, auth, timeoutMs);
  try {
    await api.request('GET', '/ping', z.unknown());
  } catch (error) {
    return [
      {
        group: 'Harbor',
        name: url,
        status: 'fail',
        detail: errorMessage(error),
        fix: adviseHookFailure('harbor', '', error),
      },
    ];
  }
  const checks: DoctorCheck[] = [
    { group: 'Harbor', name: url, status: 'pass', detail: 'answers /api/v2.0/ping' },
  ];
  if (auth !== undefined) {
    try {
      const { data } = await api.request('GET', '/users/current', z.object({ username: z.string() }));
      checks.push({
        group: 'Harbor',
        name: 'credentials',
        status: 'pass',
        detail: `signed in as ${data.username}`,
      });
    } catch (error) {
      checks.push({
        group: 'Harbor',
        name: 'credentials',
        status: 'fail',
        detail: errorMessage(error),
        fix: 'set HARBOR_USERNAME and HARBOR_PASSWORD to a user or robot account Harbor accepts',
      });
    }
  }
  return checks;
}

async function checkPrometheus(
  config: Config,
  policies: readonly PromotionPolicy[],
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const { queries, problems } = gateQueries(policies);
  const url = config.prometheus.url;
  if (url === undefined) {
    if (queries.length === 0) {
      return [
        {
          group: 'Prometheus',
          name: 'PROMETHEUS_URL',
          status: 'skip',
          detail: 'not set, and no policy has gates',
        },
      ];
    }
    return [
      {
        group: 'Prometheus',
        name: 'PROMETHEUS_URL',
        status: 'fail',
        detail: `not set, but the policies have ${queries.length} gate queries`,
        fix: 'set PROMETHEUS_URL to Prometheus (or Thanos Query), e.g. http://prometheus:9090',
      },
      ...problems,
    ];
  }
  const client = createPrometheusClient({
    url,
    bearerToken: config.prometheus.bearerToken,
    username: config.prometheus.username,
    password: config.prometheus.password,
    timeoutMs: Math.min(config.prometheus.timeoutMs, timeoutMs),
  });
  const probe = await client.query('vector(1)');
  if (!probe.ok) {
    return [
      {
        group: 'Prometheus',
        name: url,
        status: 'fail',
        detail: describeQueryError(probe.error),
        fix:
          probe.error.kind === 'http' && (probe.error.httpStatus === 401 || probe.error.httpStatus === 403)
            ? 'set PROMETHEUS_BEARER_TOKEN, or PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD'
            : `check PROMETHEUS_URL (${url}) and that this machine can reach it`,
      },
      ...problems,
      ...queries.map((q): DoctorCheck => ({
        group: 'Gates',
        name: q.name,
        status: 'skip',
        detail: 'not checked: Prometheus does not answer',
      })),
    ];
  }
  return [
    { group: 'Prometheus', name: url, status: 'pass', detail: 'answers queries' },
    ...problems,
    ...(await checkGateQueries(client, queries)),
  ];
}

async function checkWebhooks(config: Config, policies: readonly PromotionPolicy[]): Promise<DoctorCheck[]> {
  const outcomes = await syncWebhooks({ config, policies, checkOnly: true });
  return outcomes.map((o): DoctorCheck => {
    const base = { group: 'Webhooks', name: `${o.host} ${o.target}` };
    switch (o.action) {
      case 'unchanged':
        return { ...base, status: 'pass', detail: `registered (hook ${o.id})` };
      case 'missing':
        return {
          ...base,
          status: 'fail',
          detail: "no hook at promobot's URL",
          fix: 'run `promobot webhooks sync`',
        };
      case 'differs':
        return {
          ...base,
          status: 'fail',
          detail: `hook ${o.id} differs: ${o.differences?.join('; ')}`,
          fix: 'run `promobot webhooks sync`',
        };
      default:
        return {
          ...base,
          status: 'fail',
          detail: o.message ?? o.action,
          fix: o.fix ?? 'run `promobot webhooks sync`',
        };
    }
  });
}
