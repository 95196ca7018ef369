import type { PromotionPolicy } from './schema.js';

/** One Argo CD Application a policy verifies through, with where it comes from. */
export interface VerifiedApplication {
  readonly name: string;
  readonly appNamespace?: string;
  readonly project?: string;
  /** `policy/environment/app`, for messages. */
  readonly source: string;
}

/** `{{app}}-{{env}}` → `chat-ui-staging`. The schema allows no other placeholder. */
export function renderApplicationName(template: string, vars: { app: string; env: string }): string {
  return template.replace(/\{\{(app|env)\}\}/g, (_m, key: 'app' | 'env') => vars[key]);
}

/**
 * Pure: every Argo CD Application that `verify: { provider: argocd }` names, for each app and environment of
 * each policy, each (namespace, project, name) once.
 */
export function verifiedApplications(policies: readonly PromotionPolicy[]): VerifiedApplication[] {
  const found = new Map<string, VerifiedApplication>();
  for (const policy of policies) {
    for (const env of policy.spec.environments) {
      const verify = env.verify;
      if (verify?.provider !== 'argocd') continue;
      for (const app of policy.spec.apps) {
        for (const template of verify.applications) {
          const name = renderApplicationName(template, { app: app.name, env: env.name });
          const key = `${verify.appNamespace ?? ''}/${verify.project ?? ''}/${name}`;
          if (found.has(key)) continue;
          found.set(key, {
            name,
            ...(verify.appNamespace !== undefined ? { appNamespace: verify.appNamespace } : {}),
            ...(verify.project !== undefined ? { project: verify.project } : {}),
            source: `${policy.metadata.name}/${env.name}/${app.name}`,
          });
        }
      }
    }
  }
  return [...found.values()];
}
