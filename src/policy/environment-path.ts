import type { App, Environment } from './schema.js';

/**
 * The folder of `app` in `env` inside the deploy repo: the environment's `path` with `{{app}}` and `{{env}}`
 * replaced (spaces inside the braces allowed), without a trailing slash.
 *
 * @example
 * environmentPath({ name: 'prod', path: '{{app}}/{{env}}', ... }, { name: 'chat-ui', ... }) // 'chat-ui/prod'
 */
export function environmentPath(env: Pick<Environment, 'name' | 'path'>, app: Pick<App, 'name'>): string {
  return env.path
    .replace(/\{\{\s*(app|env)\s*\}\}/g, (_match, key: string) => (key === 'app' ? app.name : env.name))
    .replace(/\/+$/, '');
}
