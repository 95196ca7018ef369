import type { Config } from '../config/index.js';
import { HOSTS } from '../hosts/index.js';
import { formatProblem, loadPolicies } from '../policy/index.js';
import { checkDeployRepos } from './check-deploy-repos.js';
import { checkNotify } from './check-notify.js';
import { checkPrometheus } from './check-prometheus.js';
import { checkRedis } from './check-redis.js';
import { checkWebhooks } from './check-webhooks.js';
import type { DoctorCheck } from '../hosts/ports/doctor-check.js';

export interface DoctorInput {
  readonly config: Config;
  /** Where git's PATH and HOME come from. */
  readonly baseEnv: NodeJS.ProcessEnv;
  /** Deadline of each network check; default 5 s. */
  readonly timeoutMs?: number;
}

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
  for (const host of Object.values(HOSTS)) {
    if (host.doctor !== undefined) checks.push(...(await host.doctor({ config, policies, timeoutMs })));
  }
  checks.push(...(await checkPrometheus(config, policies, timeoutMs)));
  checks.push(...(await checkWebhooks(config, policies)));
  checks.push(...(await checkNotify(policies, process.env, timeoutMs)));
  return checks;
}
