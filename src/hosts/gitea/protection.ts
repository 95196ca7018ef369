import { z } from 'zod';
import { decideProtectionChange, GiteaProtectionRule } from './decide-protection-change.js';
import type { ProtectionClient } from '../ports/protection-model.js';
import type { GiteaClient } from './scm/gitea-client.js';

const User = z.object({ login: z.string().min(1) });

/** Branch protection rules on Gitea (`/repos/{owner}/{repo}/branch_protections`, repo admins only). */
export function createGiteaProtectionClient(api: GiteaClient): ProtectionClient {
  const path = (repo: string) => `/repos/${repo}/branch_protections`;
  let login: string | undefined;
  return {
    async plan(wanted, bot) {
      // The login promobot acts as: the one user allowed to push besides the policy's `pushers`.
      login ??= bot ?? User.parse((await api.request('GET', '/user', { schema: User })).data).login;
      const { data } = await api.request('GET', path(wanted.repo), {
        schema: z.array(GiteaProtectionRule).nullable(),
      });
      const rules = (data ?? []) as GiteaProtectionRule[];
      const decision = decideProtectionChange(rules, wanted, login);
      if (decision.action === 'keep') return { action: 'keep' };
      if (decision.action === 'conflict')
        return {
          action: 'conflict',
          differences: [
            `the glob rule ${decision.ruleName} covers ${wanted.branch}`,
            ...decision.differences,
          ],
          fix: `change the rule ${decision.ruleName} by hand (${wanted.repo} → Settings → Branches) so it asks what promobot needs, on every branch it covers; or add a rule named ${wanted.branch}, which Gitea then applies to ${wanted.branch} instead, and run \`promobot setup\` again`,
        };
      if (decision.action === 'create')
        return {
          action: 'create',
          differences: ['no protection rule'],
          apply: async () => {
            await api.request('POST', path(wanted.repo), {
              schema: GiteaProtectionRule,
              body: decision.body,
              once: true,
            });
          },
        };
      return {
        action: 'update',
        differences: decision.differences,
        apply: async () => {
          await api.request('PATCH', `${path(wanted.repo)}/${encodeURIComponent(decision.ruleName)}`, {
            schema: GiteaProtectionRule,
            body: decision.body,
          });
        },
      };
    },
  };
}
