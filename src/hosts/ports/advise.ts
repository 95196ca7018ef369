import { errorMessage, httpFailureOf, PromobotError } from '../../errors/index.js';
import type { HookHost } from './hook-model.js';

const URL_VARIABLE: Record<HookHost, string> = {
  gitea: 'GITEA_URL',
  github: 'GITHUB_API_URL',
  harbor: 'HARBOR_URL',
};
const CREDENTIAL: Record<HookHost, string> = {
  gitea: 'GITEA_TOKEN',
  github: 'GITHUB_TOKEN',
  harbor: 'HARBOR_USERNAME and HARBOR_PASSWORD',
};

/**
 * The exact fix for a failed hook request, from the kind of failure: what to set, grant or start. Pure.
 *
 * @example
 * adviseHookFailure('gitea', 'bootcamp/notes-deploy', error) // "make the token's user an admin of ..."
 */
export function adviseHookFailure(host: HookHost, target: string, error: unknown): string {
  // A failed call to the host's API, whichever host's client made it: the fix follows from what came back.
  const http = httpFailureOf(error);
  if (http !== undefined && http.status === undefined) {
    return `check ${URL_VARIABLE[host]} (${http.url.replace(/\/api\/.*$/, '')}) and that this machine can reach it`;
  }
  if (http?.status !== undefined && http.status < 300) {
    return `check that ${URL_VARIABLE[host]} points at the ${host} server itself, not a proxy or login page`;
  }
  if (http?.status !== undefined) {
    const { status, detail } = http;
    if (status === 401) return `${CREDENTIAL[host]} is not accepted: set a valid one`;
    if (host === 'harbor' && (status === 403 || status === 404)) {
      return `give the Harbor user ${'`HARBOR_USERNAME`'} the project admin (or maintainer) role on ${target}, or a robot account with webhook permission`;
    }
    // GitHub's answer to an App's installation token that lacks a permission.
    if (host === 'github' && status === 403 && /not accessible by integration/i.test(detail)) {
      return `give the GitHub App the Webhooks: write repository permission (App settings → Permissions & events, then accept it on the installation), or run \`promobot webhooks sync\` once with a repository admin's token`;
    }
    if (status === 403 && /scope/i.test(detail)) {
      return `the token lacks a scope (${detail}): create a token with write:repository`;
    }
    if (status === 403 || status === 404) {
      const scope =
        host === 'github' ? ' (classic token: admin:repo_hook; fine-grained: Webhooks write)' : '';
      return `make the token's user an admin of ${target}${scope}: only repository admins manage hooks; or run \`promobot webhooks sync\` once with an admin's token`;
    }
    if (status >= 500) return `${host} answered ${status}: retry later, and check its logs`;
  }
  // promobot's own errors carry their fix (a GitHub App whose installation token cannot be made).
  if (error instanceof PromobotError && error.advice) return error.advice;
  return `see the error: ${errorMessage(error)}`;
}
