import { z } from 'zod';
import type { GiteaClient } from './scm/gitea-client.js';
import type { ExistingHook, HookClient, WantedHook } from '../ports/hook-model.js';

/** A repository hook as Gitea lists it (`GET /repos/{owner}/{repo}/hooks`). */
export const GiteaHook = z.object({
  id: z.number().int(),
  type: z.string(),
  active: z.boolean(),
  events: z.array(z.string()).nullish(),
  config: z.record(z.string(), z.string()).nullish(),
  branch_filter: z.string().nullish(),
});
export type GiteaHook = z.infer<typeof GiteaHook>;

function toExisting(hook: GiteaHook): ExistingHook {
  return {
    id: hook.id,
    url: hook.config?.url ?? '',
    active: hook.active,
    events: hook.events ?? [],
    settings: {
      type: hook.type,
      content_type: hook.config?.content_type,
      branch_filter: hook.branch_filter ?? undefined,
    },
  };
}

function body(wanted: WantedHook) {
  return {
    active: true,
    branch_filter: wanted.settings.branch_filter ?? '*',
    events: [...wanted.events],
    config: { url: wanted.url, content_type: wanted.settings.content_type ?? 'json', secret: wanted.secret },
  };
}

/**
 * Repository hooks on Gitea. `active: true` is always sent: Gitea leaves a hook created through the API inactive
 * otherwise (test/contracts/GITEA-BEHAVIOUR.md).
 */
export function createGiteaHookClient(api: GiteaClient): HookClient {
  const path = (target: string) => `/repos/${target}/hooks`;
  return {
    async list(target) {
      return (await api.paginate(path(target), GiteaHook)).map(toExisting);
    },
    async create(wanted) {
      const { data } = await api.request('POST', path(wanted.target), {
        schema: GiteaHook,
        body: { type: wanted.settings.type ?? 'gitea', ...body(wanted) },
        once: true,
      });
      return toExisting(data as GiteaHook);
    },
    async update(id, wanted) {
      const { data } = await api.request('PATCH', `${path(wanted.target)}/${id}`, {
        schema: GiteaHook,
        body: body(wanted),
      });
      return toExisting(data as GiteaHook);
    },
  };
}
