import { join } from 'node:path';
import type { ComposeDocument } from './load-compose.js';
import { REPO_ROOT } from './repo-root.js';

/**
 * The environment a compose service's container gets, made runnable on this machine: `/run/secrets/<name>` paths
 * point at the compose secret's file, bind-mounted folders at their source, and `overrides` replace what only
 * makes sense inside the compose network (Redis host, port, the token volume).
 */
export function composeServiceEnv(
  compose: ComposeDocument,
  service: string,
  overrides: Readonly<Record<string, string>>,
): Record<string, string> {
  const spec = compose.services[service];
  if (spec === undefined) throw new Error(`no service ${service}`);
  const mounts = (spec.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source?.startsWith('./'))
    .map(([source = '', target = '']) => ({ source: join(REPO_ROOT, source), target }));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.environment ?? {})) {
    const secret = /^\/run\/secrets\/(.+)$/.exec(value)?.[1];
    const file = secret === undefined ? undefined : compose.secrets?.[secret]?.file;
    const mount = mounts.find((m) => value === m.target || value.startsWith(`${m.target}/`));
    if (file !== undefined) env[name] = join(REPO_ROOT, file);
    else if (mount !== undefined) env[name] = mount.source + value.slice(mount.target.length);
    else env[name] = value;
  }
  return { ...env, ...overrides };
}
