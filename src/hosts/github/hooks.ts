import { z } from 'zod';
import type { GitHubClient } from './client.js';
import type { ExistingHook, HookClient, WantedHook } from '../ports/hook-model.js';

/** A repository webhook as GitHub lists it (`GET /repos/{owner}/{repo}/hooks`). */
export const GitHubHook = z.object({
  id: z.number().int(),
  name: z.string(),
  active: z.boolean(),
  events: z.array(z.string()),
  config: z.object({
    url: z.string().optional(),
    content_type: z.string().optional(),
    insecure_ssl: z.union([z.string(), z.number()]).optional(),
  }),
});
export type GitHubHook = z.infer<typeof GitHubHook>;

const PAGE = 100;

function toExisting(hook: GitHubHook): ExistingHook {
  return {
    id: hook.id,
    url: hook.config.url ?? '',
    active: hook.active,
    events: hook.events,
    settings: {
      content_type: hook.config.content_type,
      insecure_ssl: hook.config.insecure_ssl === undefined ? undefined : String(hook.config.insecure_ssl),
    },
  };
}

function config(wanted: WantedHook) {
  return {
    url: wanted.url,
    content_type: wanted.settings.content_type ?? 'json',
    secret: wanted.secret,
    insecure_ssl: wanted.settings.insecure_ssl ?? '0',
  };
}

/** Repository webhooks on GitHub (name `web`). */
export function createGitHubHookClient(api: GitHubClient): HookClient {
  const path = (target: string) => `/repos/${target}/hooks`;
  return {
    async list(target) {
      const hooks: GitHubHook[] = [];
      for (let page = 1; ; page += 1) {
        const { data } = await api.request(
          'GET',
          `${path(target)}?per_page=${PAGE}&page=${page}`,
          z.array(GitHubHook),
        );
        hooks.push(...data);
        if (data.length < PAGE) break;
      }
      return hooks.map(toExisting);
    },
    async create(wanted) {
      const { data } = await api.request('POST', path(wanted.target), GitHubHook, {
        name: 'web',
        active: true,
        events: [...wanted.events],
        config: config(wanted),
      });
      return toExisting(data);
    },
    async update(id, wanted) {
      const { data } = await api.request('PATCH', `${path(wanted.target)}/${id}`, GitHubHook, {
        active: true,
        events: [...wanted.events],
        config: config(wanted),
      });
      return toExisting(data);
    },
  };
}
