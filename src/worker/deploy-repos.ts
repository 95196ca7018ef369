import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { errorMessage } from '../errors/index.js';
import { createDeployRepo, type DeployRepo } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { repoRef } from '../scm/index.js';
import type { ScmHosts } from './scm-hosts.js';

/** How often each deploy repo's working copy is repacked and its commit-graph written. */
const MAINTENANCE_INTERVAL_MS = 10 * 60_000;

export interface DeployRepos {
  /** The deploy repo's working copy of `policy` (one per URL and branch, kept for the process). */
  deployRepoFor(policy: PromotionPolicy): DeployRepo;
  /** Starts the periodic maintenance of every working copy made so far. */
  startMaintenance(): void;
  stopMaintenance(): void;
}

export function createDeployRepos(deps: {
  config: Config;
  redis: Redis;
  logger: Logger;
  hosts: ScmHosts;
  gitBaseEnv?: NodeJS.ProcessEnv | undefined;
}): DeployRepos {
  const { config, logger } = deps;
  const repos = new Map<string, DeployRepo>();
  // Repack and write the commit-graph of each working copy now and then, off the hot path (commits and fetches never
  // gc by themselves): history reads of an environment take ~30 ms with the graph's changed-path filters, ~300 ms
  // without (BENCHMARKS.md, history read).
  let maintaining = false;
  const maintainRepos = async () => {
    if (maintaining) return;
    maintaining = true;
    try {
      for (const repo of repos.values()) {
        await repo.maintain().catch((error: unknown) => {
          logger.warn(
            { err: errorMessage(error) },
            'deploy repo maintenance failed; it is tried again later',
          );
        });
      }
    } finally {
      maintaining = false;
    }
  };
  let maintenance: NodeJS.Timeout | undefined;
  return {
    deployRepoFor(policy) {
      const { deployRepo } = policy.spec;
      const url = deployRepo.url ?? deps.hosts.scmFor(deployRepo.scm).cloneUrl(repoRef(deployRepo.repo));
      const id = `${url}#${deployRepo.branch}`;
      const known = repos.get(id);
      if (known) return known;
      const token = deps.hosts.tokenFor(deployRepo.scm);
      const repo = createDeployRepo(
        {
          url,
          branch: deployRepo.branch,
          dataDir: config.dataDir,
          author: { name: config.git.authorName, email: config.git.authorEmail },
          ...(token !== undefined && /^https?:/.test(url) ? { auth: { token } } : {}),
          lock: { prefix: config.queuePrefix },
        },
        { redis: deps.redis, logger, ...(deps.gitBaseEnv ? { baseEnv: deps.gitBaseEnv } : {}) },
      );
      repos.set(id, repo);
      return repo;
    },
    startMaintenance() {
      maintenance = setInterval(() => void maintainRepos(), MAINTENANCE_INTERVAL_MS);
      maintenance.unref();
    },
    stopMaintenance() {
      clearInterval(maintenance);
    },
  };
}
