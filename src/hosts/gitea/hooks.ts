import { z } from 'zod';
import { createJsonClient, type JsonClient } from '../../setup/json-client.js';
import type { ExistingHook, HookClient, WantedHook } from '../../setup/hook-model.js';

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

const PAGE = 50;

/** The Gitea API below `/api/v1`, authenticated with a token. */
export function createGiteaApi(url: string, token: string, timeoutMs?: number): JsonClient {
  return createJsonClient({
    baseUrl: `${url.replace(/\/+$/, '')}/api/v1`,
    headers: { Authorization: `token ${token}` },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

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
export function createGiteaHookClient(api: JsonClient): HookClient {
  const path = (target: string) => `/repos/${target}/hooks`;
  return {
    async list(target) {
      const hooks: GiteaHook[] = [];
      for (let page = 1; ; page += 1) {
        const { data } = await api.request(
          'GET',
          `${path(target)}?page=${page}&limit=${PAGE}`,
          z.array(GiteaHook),
        );
        hooks.push(...data);
        if (data.length < PAGE) break;
      }
      return hooks.map(toExisting);
    },
    async create(wanted) {
      const { data } = await api.request('POST', path(wanted.target), GiteaHook, {
        type: wanted.settings.type ?? 'gitea',
        ...body(wanted),
      });
      return toExisting(data);
    },
    async update(id, wanted) {
      const { data } = await api.request('PATCH', `${path(wanted.target)}/${id}`, GiteaHook, body(wanted));
      return toExisting(data);
    },
  };
}
