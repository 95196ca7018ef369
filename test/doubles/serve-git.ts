import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** Who is asking, as a double decided from the Basic credentials. */
export interface GitAccess {
  login: string;
  /** False for a read-only user: the push is refused by a pre-receive hook, as Gitea does. */
  canPush: boolean;
  /**
   * Branches this user may not update, each with the host's refusal (branch protection): a push that touches one
   * is refused whole by the pre-receive hook with that message, as the hosts' hooks do.
   */
  protectedBranches?: ReadonlyMap<string, string>;
  /**
   * Rules on branch names, tried in order; the first whose pattern matches a pushed branch decides it (Gitea's
   * first-matching protection rule): `push` refuses any update of it, `forcePush` one that is not a fast-forward.
   * Messages may name the branch as `{branch}`.
   */
  branchRules?: readonly BranchRule[];
}

/** One rule of {@link GitAccess.branchRules}. */
export interface BranchRule {
  /** A POSIX extended regular expression for the whole branch name (without `refs/heads/`). */
  readonly pattern: string;
  readonly ignoreCase?: boolean;
  readonly push?: string;
  readonly forcePush?: string;
}

/** A shell word that stands for `text` exactly (single quotes; a quote inside is closed, escaped and reopened). */
function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A shell expression printing `message` with `{branch}` standing for the pushed branch, to stderr. */
function say(message: string): string {
  return `echo ${message
    .split('{branch}')
    .map((part) => shellWord(part))
    .join('"$branch"')} >&2`;
}

/**
 * A pre-receive hook refusing updates of the given branches with their messages, and applying the branch rules
 * (a non-fast-forward update is one whose old tip is not an ancestor of the new one, as the hosts' hooks test it:
 * Gitea's preReceiveBranch runs `git rev-list old ^new`), made once per call.
 */
function protectingHooks(branches: ReadonlyMap<string, string>, rules: readonly BranchRule[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'double-hooks-'));
  const hook = join(dir, 'pre-receive');
  const cases = [...branches]
    .map(([branch, message]) => `    ${shellWord(`refs/heads/${branch}`)}) ${say(message)}; exit 1 ;;`)
    .join('\n');
  const tests = rules
    .map((rule) => {
      const then = [
        ...(rule.push === undefined ? [] : [`    ${say(rule.push)}; exit 1`]),
        ...(rule.forcePush === undefined
          ? []
          : [
              `    if [ "$created" = no ] && [ "$deleted" = no ] && ! git merge-base --is-ancestor "$old" "$new"; then ${say(rule.forcePush)}; exit 1; fi`,
            ]),
        '    continue',
      ];
      const grep = rule.ignoreCase ? 'grep -Eqi' : 'grep -Eq';
      return `  if printf '%s\\n' "$branch" | ${grep} ${shellWord(rule.pattern)}; then\n${then.join('\n')}\n  fi`;
    })
    .join('\n');
  writeFileSync(
    hook,
    [
      '#!/bin/sh',
      'while read old new ref; do',
      '  case "$ref" in',
      cases,
      '  esac',
      '  case "$ref" in refs/heads/*) branch="${ref#refs/heads/}" ;; *) continue ;; esac',
      '  case "$old" in *[!0]*) created=no ;; *) created=yes ;; esac',
      '  case "$new" in *[!0]*) deleted=no ;; *) deleted=yes ;; esac',
      tests,
      'done',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(hook, 0o755);
  return dir;
}

/** Basic credentials → the token (Gitea and GitHub take the token as password, or as user name with any password). */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const encoded = /^Basic (\S+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0
    ? { user: decoded, password: '' }
    : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A hooks directory whose pre-receive refuses everything, made once per call (no module state). */
function refusingHooks(message: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'double-hooks-'));
  const hook = join(dir, 'pre-receive');
  writeFileSync(hook, `#!/bin/sh\necho ${JSON.stringify(message)} >&2\nexit 1\n`);
  chmodSync(hook, 0o755);
  return dir;
}

/**
 * Serves a bare repo over git's smart HTTP protocol with the real `git http-backend` (CGI), so clients clone and
 * push through the double's URL. The double authenticates first; a user without push rights gets the pre-receive
 * refusal a real host's hook gives ("pre-receive hook declined"), not an HTTP error.
 */
export function serveGit(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  bare: string,
  rest: string,
  queryString: string,
  access: GitAccess,
): Promise<void> {
  const pushing = rest.endsWith('/git-receive-pack');
  const hooksPath = !pushing
    ? undefined
    : !access.canPush
      ? refusingHooks(`${access.login} is not allowed to push code to this repository`)
      : (access.protectedBranches?.size ?? 0) > 0 || (access.branchRules?.length ?? 0) > 0
        ? protectingHooks(access.protectedBranches ?? new Map(), access.branchRules ?? [])
        : undefined;
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], {
      env: {
        ...(hooksPath === undefined
          ? {}
          : { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.hooksPath', GIT_CONFIG_VALUE_0: hooksPath }),
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_PROJECT_ROOT: dirname(bare),
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: `/${basename(bare)}${rest}`,
        REQUEST_METHOD: req.method ?? 'GET',
        QUERY_STRING: queryString,
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        CONTENT_LENGTH: String(body.length),
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        // A REMOTE_USER turns receive-pack (push) on.
        REMOTE_USER: access.login,
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.resume();
    child.on('close', () => {
      const all = Buffer.concat(out);
      const split = all.indexOf('\r\n\r\n');
      const sep = split >= 0 ? 4 : 2;
      const end = split >= 0 ? split : all.indexOf('\n\n');
      const head = end >= 0 ? all.subarray(0, end).toString('utf8') : '';
      const payload = end >= 0 ? all.subarray(end + sep) : all;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.end(payload);
      resolve();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
  });
}
