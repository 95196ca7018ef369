import { renderApplicationName, type PromotionPolicy } from '../../policy/index.js';

/**
 * Pure: the (policy, app, environment) triples whose `verify: { provider: argocd }` names the Application
 * `application` (in `appNamespace`, when the notification says), for routing an Argo CD notification.
 */
export function applicationsOf(
  policies: readonly PromotionPolicy[],
  application: string,
  appNamespace: string | undefined,
): { policy: string; app: string; env: string }[] {
  const found: { policy: string; app: string; env: string }[] = [];
  for (const policy of policies) {
    for (const env of policy.spec.environments) {
      const verify = env.verify;
      if (verify?.provider !== 'argocd') continue;
      if (appNamespace !== undefined && (verify.appNamespace ?? appNamespace) !== appNamespace) continue;
      for (const app of policy.spec.apps) {
        const names = verify.applications.map((t) =>
          renderApplicationName(t, { app: app.name, env: env.name }),
        );
        if (names.includes(application))
          found.push({ policy: policy.metadata.name, app: app.name, env: env.name });
      }
    }
  }
  return found;
}
