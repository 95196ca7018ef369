import type { Config } from '../config/index.js';
import type { PromotionPolicy } from '../policy/index.js';

/**
 * The settings the policies need and the configuration lacks, one line each (said once, at start, as a
 * `ConfigError`): a code host's URL and token, Prometheus for gates and watches, Argo CD for verification.
 */
export function missingSettings(config: Config, policies: readonly PromotionPolicy[]): string[] {
  const missing = new Set<string>();
  for (const policy of policies) {
    const scm = policy.spec.deployRepo.scm;
    if (scm === 'gitea' && (!config.gitea.url || !config.gitea.token))
      missing.add(
        `GITEA_URL and GITEA_TOKEN: required by policy ${policy.metadata.name}, whose deploy repo is on Gitea`,
      );
    if (scm === 'github' && !config.github.token && !config.github.app)
      missing.add(
        `GITHUB_TOKEN (or a GitHub App: GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY): required by policy ${policy.metadata.name}, whose deploy repo is on GitHub`,
      );
  }
  const gated = policies.filter((p) => p.spec.environments.some((e) => e.gates.length > 0 || e.watch));
  if (gated.length > 0 && !config.prometheus.url) {
    missing.add(
      `PROMETHEUS_URL: required by policy ${gated[0]?.metadata.name}, whose environments have gates`,
    );
  }
  for (const policy of policies) {
    const providers = new Set(policy.spec.environments.map((e) => e.verify?.provider));
    if (providers.has('argocd') && (!config.argocd.url || !config.argocd.token))
      missing.add(
        `ARGOCD_URL and ARGOCD_TOKEN: required by policy ${policy.metadata.name}, whose environments verify through Argo CD`,
      );
    if (providers.has('prometheus') && !config.prometheus.url)
      missing.add(
        `PROMETHEUS_URL: required by policy ${policy.metadata.name}, whose environments verify through Prometheus`,
      );
  }
  return [...missing];
}
