import type { Config } from '../../config/index.js';
import { createLogger } from '../../logger/index.js';
import { createAppTokens, type AppTokens } from './scm/app-auth.js';

/** What the fine-grained permissions of docs/ACCESS.md are for, and the level promobot uses them at. */
export const FINE_GRAINED_NEEDS =
  'Contents, Pull requests, Issues, Commit statuses: write; Metadata: read; organization Members: read';

/**
 * The repository (and organization) permissions promobot's GitHub App needs: the same list as for a fine-grained
 * token (src/hosts/github/scm/required-permission.ts names the one each call needs). Webhooks: write only for
 * `promobot webhooks sync`, so it is not required here.
 */
export const APP_PERMISSIONS = {
  contents: 'write',
  pull_requests: 'write',
  issues: 'write',
  statuses: 'write',
  members: 'read',
  metadata: 'read',
} as const;

/** How GitHub's App settings page names each permission, for the fix. */
const LABEL: Record<keyof typeof APP_PERMISSIONS, string> = {
  contents: 'Repository → Contents',
  pull_requests: 'Repository → Pull requests',
  issues: 'Repository → Issues',
  statuses: 'Repository → Commit statuses',
  members: 'Organization → Members',
  metadata: 'Repository → Metadata',
};

const RANK: Record<string, number> = { read: 1, write: 2, admin: 3 };

/**
 * Pure: whether the installation's permissions (as GitHub states them with each installation token) cover what
 * promobot needs, and the exact fix when not.
 */
export function judgeAppPermissions(
  login: string,
  repo: string,
  granted: Readonly<Record<string, string>>,
): { ok: boolean; detail: string; fix?: string } {
  const missing = (Object.keys(APP_PERMISSIONS) as (keyof typeof APP_PERMISSIONS)[]).filter(
    (name) => (RANK[granted[name] ?? ''] ?? 0) < RANK[APP_PERMISSIONS[name]]!,
  );
  if (missing.length === 0)
    return { ok: true, detail: `GitHub App ${login} reaches ${repo}: can push, set statuses and merge` };
  const wanted = missing.map((name) => `${LABEL[name]}: ${APP_PERMISSIONS[name]}`).join(', ');
  return {
    ok: false,
    detail: `GitHub App ${login} lacks ${missing.map((name) => `${name}: ${APP_PERMISSIONS[name]}`).join(', ')}`,
    fix: `in the App's settings (Developer settings → GitHub Apps → the App → Permissions & events) grant ${wanted}, then accept the new permissions on the organization's installation (Settings → GitHub Apps → Configure)`,
  };
}

/** Installation tokens for `doctor` and `webhooks sync`, when promobot runs as a GitHub App; none otherwise. */
export function githubAppTokens(config: Config): AppTokens | undefined {
  const { app, apiUrl } = config.github;
  return app
    ? createAppTokens({ baseUrl: apiUrl, app, logger: createLogger({ level: 'silent' }) })
    : undefined;
}
