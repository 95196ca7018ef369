import type { GitIdentity } from './schema.js';

export interface GitEnvOptions {
  /** `PATH` and `HOME` come from here; nothing else of the parent environment reaches git. */
  base: NodeJS.ProcessEnv;
  /** Remote URL the auth header is scoped to, so a redirect to another host never receives it. */
  url?: string;
  auth?: { username: string; token: string };
  author?: GitIdentity;
  committer?: GitIdentity;
}

/** The `Authorization` header value git sends to the deploy repo; a secret just like the token. */
export function basicAuthHeader(auth: { username: string; token: string }): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.token}`).toString('base64')}`;
}

/**
 * The whole environment of a git child process: no system or global config, no prompt, English messages (the
 * error mapping reads them), and the token as an `http.<url>.extraHeader` passed through `GIT_CONFIG_*` so it
 * is never on the command line, in `.git/config`, or in a remote URL.
 */
export function gitEnv(options: GitEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    PATH: options.base.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: options.base.HOME ?? '/nonexistent',
    // The XDG attributes and ignore files are "global" config too.
    XDG_CONFIG_HOME: '/nonexistent',
    LC_ALL: 'C',
    LANGUAGE: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    // Paths from apply are file names, never globs: `a*.yaml` must not stage its neighbours.
    GIT_LITERAL_PATHSPECS: '1',
  };
  const config: Array<[string, string]> = [];
  if (options.auth) {
    config.push([httpHeaderKey(options.url), `Authorization: ${basicAuthHeader(options.auth)}`]);
  }
  config.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  if (config.length > 0) env.GIT_CONFIG_COUNT = String(config.length);
  if (options.author) {
    env.GIT_AUTHOR_NAME = options.author.name;
    env.GIT_AUTHOR_EMAIL = options.author.email;
    const committer = options.committer ?? options.author;
    env.GIT_COMMITTER_NAME = committer.name;
    env.GIT_COMMITTER_EMAIL = committer.email;
  }
  return env;
}

function httpHeaderKey(url: string | undefined): string {
  if (url === undefined || !/^https?:\/\//i.test(url)) return 'http.extraHeader';
  // git matches `http.<url>.*` by scheme, host, port and path prefix; scoping to the origin keeps the header
  // away from any other host a redirect might lead to.
  const origin = new URL(url).origin;
  return `http.${origin}/.extraHeader`;
}
