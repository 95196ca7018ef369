import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { z } from 'zod';
import type { RepoRef } from '../../../events/index.js';
import type { Logger } from '../../../logger/index.js';
import { AccessError, PermanentError, PromobotError, TransientError } from '../../../errors/index.js';
import { httpError } from '../../../scm/http-error.js';
import {
  adviseForbidden,
  adviseReadPermission,
  adviseUnseenTeam,
  rateLimitWaitMs,
  type GitHubRefusal,
} from './access-advice.js';
import type { MergeResult, PullRequest, ScmHost } from '../../../scm/types.js';
import { createAppTokens, type AppTokens, type GitHubAppCredentials } from './app-auth.js';
import { decideGitHubMergeFailure } from './decide-github-merge-failure.js';
import { requiredPermission } from './required-permission.js';
import { webUrl } from './web-url.js';
import {
  GitHubCombinedStatus,
  GitHubComment,
  GitHubRepoComment,
  GitHubMembership,
  GitHubMergeResult,
  GitHubPermission,
  GitHubPullRequest,
  GitHubReview,
  GitHubTeam,
  GitHubUser,
  Unread,
} from './schema.js';
import { toComment, toPermission, toPullRequest, toReview } from './to-domain.js';

interface GitHubHostCommon {
  /** REST API base, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  baseUrl: string;
  logger: Logger;
  /** The clock of installation-token refreshes (tests move it). */
  now?: () => number;
  /** plugin-retry: attempts after the first for 5xx and network failures, and the backoff unit (ms). */
  retry?: { retries?: number; retryAfterBaseValue?: number };
  /**
   * plugin-throttling: rate-limit answers are retried up to `retries` times when GitHub asks for at most
   * `maxWaitSeconds`; longer waits go to the caller as a TransientError (the queue waits). `enabled: false` also
   * drops the pacing of writes (1 s apart), which tests against a double do not need.
   */
  throttle?: { enabled?: boolean; retries?: number; maxWaitSeconds?: number; retryAfterBaseValue?: number };
}

/** A personal access token (classic or fine-grained), or a GitHub App installation. */
export type GitHubHostOptions = GitHubHostCommon &
  ({ token: string; app?: undefined } | { app: GitHubAppCredentials; token?: undefined });

/** The GitHub host, and the token git should use right now (an App's installation token changes every hour). */
export interface GitHubHost extends ScmHost {
  /** The token for git; `refused` is one the git server just turned down, so an App makes a new one. */
  gitToken(refused?: string): Promise<string>;
}

const RetryingOctokit = Octokit.plugin(retry, throttling);

/** What promobot was doing when GitHub refused it, for `AccessError.capability`. */
function capabilityOf(method: string, path: string): string {
  if (/\/reactions$/.test(path)) return 'react';
  if (/\/statuses\//.test(path)) return 'set-status';
  if (/\/merge$/.test(path)) return 'merge';
  if (/\/git\/refs\//.test(path)) return 'delete-branch';
  if (/\/collaborators\/[^/]+\/permission$/.test(path)) return 'read-permission';
  if (/^\/orgs\/[^/]+\/teams\/[^/]+\/memberships\//.test(path)) return 'read-team-members';
  if (/^\/orgs\/[^/]+\/teams\//.test(path)) return 'read-org-teams';
  if (/\/comments/.test(path)) return method === 'GET' ? 'read-comments' : 'comment';
  if (/\/pulls/.test(path)) return method === 'GET' ? 'read-pull-requests' : 'write-pull-requests';
  return method === 'GET' ? 'read' : 'write';
}

interface OctokitFailure {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/**
 * The octokit of a GitHub host, as the adapter and the set-up commands use it: the retry and throttling plugins,
 * and for an App its installation token on every call, replaced once when GitHub refuses it.
 */
export function createGitHubOctokit(options: GitHubHostOptions): {
  octokit: InstanceType<typeof RetryingOctokit>;
  appTokens: AppTokens | undefined;
  logger: Logger;
} {
  const logger = options.logger.child({ scm: 'github' });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const appTokens = options.app
    ? createAppTokens({ baseUrl, app: options.app, logger, ...(options.now ? { now: options.now } : {}) })
    : undefined;
  const throttle = { retries: 2, maxWaitSeconds: 60, ...options.throttle };
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _o: unknown, retryCount: number) => {
      const again = retryCount < throttle.retries && retryAfter <= throttle.maxWaitSeconds;
      logger.warn(
        { kind, retryAfter, retryCount, method: request.method, url: request.url, again },
        'github rate limit hit',
      );
      return again;
    };
  const octokit = new RetryingOctokit({
    ...(options.token === undefined ? {} : { auth: options.token }),
    baseUrl,
    userAgent: 'promobot',
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => logger.warn({ octokit: message }, 'octokit warning'),
      error: (message: string) => logger.error({ octokit: message }, 'octokit error'),
    },
    retry: {
      retries: options.retry?.retries ?? 3,
      ...(options.retry?.retryAfterBaseValue === undefined
        ? {}
        : { retryAfterBaseValue: options.retry.retryAfterBaseValue }),
      // Only 5xx (and network failures) are worth repeating here: 405/409 are merge verdicts, 429 is the throttler's.
      doNotRetry: [400, 401, 403, 404, 405, 409, 410, 412, 422, 429, 451],
    },
    throttle: {
      enabled: throttle.enabled ?? true,
      ...(throttle.retryAfterBaseValue === undefined
        ? {}
        : { retryAfterBaseValue: throttle.retryAfterBaseValue }),
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
    },
  });

  // An App's calls carry its current installation token, refreshed before it expires. A token GitHub refuses
  // before its stated expiry (revoked, or clocks apart) is replaced and the request sent once more: a 401 means
  // GitHub did nothing, so even a write is safe to repeat. Only the refused token is dropped, never one a
  // concurrent request has just made.
  if (appTokens) {
    octokit.hook.wrap('request', async (request, requestOptions) => {
      const token = await appTokens.token();
      requestOptions.headers.authorization = `token ${token}`;
      try {
        return await request(requestOptions);
      } catch (error) {
        if ((error as OctokitFailure).status !== 401) throw error;
        appTokens.invalidate(token);
        requestOptions.headers.authorization = `token ${await appTokens.token()}`;
        return request(requestOptions);
      }
    });
  }

  return { octokit, appTokens, logger };
}

/**
 * The {@link ScmHost} for GitHub (and GitHub Enterprise Server) over `@octokit/rest` with the retry and throttling
 * plugins. Made per use; holds no state but its client.
 *
 * @example
 * const host = createGitHubHost({ baseUrl: config.github.apiUrl, token: config.github.token, logger });
 */
export function createGitHubHost(options: GitHubHostOptions): GitHubHost {
  const { octokit, appTokens, logger } = createGitHubOctokit(options);

  /** Runs one call; failures become Transient/PermanentError, answers are zod-parsed. */
  async function call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    run: () => Promise<{ data: unknown }>,
  ): Promise<z.infer<S>> {
    let data: unknown;
    try {
      ({ data } = await run());
    } catch (error) {
      throw toError(method, path, error);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new PermanentError(`GitHub's answer to ${method} ${path} does not have the expected shape`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /**
   * A failed call as promobot's error kinds: a rate limit (403 or 429, even once the throttling plugin gave up) is
   * transient with the wait GitHub asked for; any other 403 is GitHub refusing promobot itself (AccessError, with
   * the permission or scope to add); the rest as every host's.
   */
  function toError(method: string, path: string, error: unknown) {
    // Already sorted (the App's token could not be made, in the request hook).
    if (error instanceof PromobotError) return error;
    const failure = error as OctokitFailure;
    const status = typeof failure.status === 'number' && failure.status > 0 ? failure.status : undefined;
    const message = failure.message ?? String(error);
    const action = `${method} ${path}`;
    const refusal = refusalOf(error);
    const waitMs = refusal ? rateLimitWaitMs(refusal, Date.now()) : undefined;
    if (refusal && waitMs !== undefined) {
      return new TransientError(`GitHub rate limit on ${action} (${refusal.status}): ${message}`, {
        cause: error,
        retryAfterMs: waitMs,
      });
    }
    if (appTokens && status === 401) {
      // The installation token lapsed or was revoked: make a new one on the next try.
      appTokens.invalidate();
      return new TransientError(`GitHub refused the installation token on ${action}: ${message}`, {
        cause: error,
      });
    }
    const scope = requiredPermission(method, path);
    if (refusal && refusal.status === 403) {
      return new AccessError(`GitHub answered 403 on ${action}: ${message}`, {
        capability: capabilityOf(method, path),
        advice: adviseForbidden(refusal, action, scope),
        cause: error,
      });
    }
    return httpError({ host: 'GitHub', action, status, message, scope, cause: error });
  }

  const statusOf = (error: unknown): number | undefined => {
    const cause = (error as { cause?: OctokitFailure }).cause;
    return typeof cause?.status === 'number' ? cause.status : undefined;
  };
  /** GitHub's answer inside an octokit failure (or inside the error `call` made of it). */
  function refusalOf(error: unknown): GitHubRefusal | undefined {
    const direct = error as OctokitFailure;
    const failure = typeof direct.status === 'number' ? direct : (error as { cause?: OctokitFailure }).cause;
    if (typeof failure?.status !== 'number') return undefined;
    const data = failure.response?.data as { message?: unknown } | undefined;
    return {
      status: failure.status,
      message: typeof data?.message === 'string' ? data.message : (failure.message ?? ''),
      headers: failure.response?.headers ?? {},
    };
  }
  const ids = (repo: RepoRef) => ({ owner: repo.owner, repo: repo.name });
  const where = (repo: RepoRef) => `/repos/${repo.fullName}`;

  async function getPullRequest(repo: RepoRef, number: number): Promise<PullRequest> {
    const pr = await call('GET', `${where(repo)}/pulls/${number}`, GitHubPullRequest, () =>
      octokit.rest.pulls.get({ ...ids(repo), pull_number: number }),
    );
    return toPullRequest(pr);
  }

  async function findOpenPullRequest(repo: RepoRef, head: string, base: string): Promise<PullRequest | null> {
    const found = await call('GET', `${where(repo)}/pulls`, GitHubPullRequest.array(), () =>
      octokit.rest.pulls.list({
        ...ids(repo),
        state: 'open',
        head: `${repo.owner}:${head}`,
        base,
        per_page: 100,
      }),
    );
    const pr = found.find((p) => p.head.ref === head && p.base.ref === base);
    return pr ? toPullRequest(pr) : null;
  }

  const host: GitHubHost = {
    kind: 'github',

    async gitToken(refused) {
      if (!appTokens) return options.token ?? '';
      if (refused !== undefined) appTokens.invalidate(refused);
      return appTokens.token();
    },

    async whoAmI() {
      // Installation tokens cannot call GET /user: an App is `<slug>[bot]`, from GET /app.
      if (appTokens) return { login: await appTokens.login() };
      const user = await call('GET', '/user', GitHubUser, () => octokit.rest.users.getAuthenticated());
      return { login: user.login };
    },

    findOpenPullRequest,
    getPullRequest,

    async listOpenPullRequests(repo, base) {
      const items = await call('GET', `${where(repo)}/pulls`, GitHubPullRequest.array(), async () => ({
        data: await octokit.paginate(octokit.rest.pulls.list, {
          ...ids(repo),
          state: 'open',
          ...(base === undefined ? {} : { base }),
          per_page: 100,
        }),
      }));
      return items.map(toPullRequest);
    },

    async createPullRequest(repo, pr) {
      try {
        const created = await call('POST', `${where(repo)}/pulls`, GitHubPullRequest, () =>
          octokit.rest.pulls.create({
            ...ids(repo),
            head: pr.head,
            base: pr.base,
            title: pr.title,
            body: pr.body,
          }),
        );
        return toPullRequest(created);
      } catch (error) {
        // 422 "A pull request already exists for owner:branch": reuse it rather than fail.
        if (statusOf(error) !== 422) throw error;
        const existing = await findOpenPullRequest(repo, pr.head, pr.base);
        if (!existing) throw error;
        logger.info(
          { repo: repo.fullName, number: existing.number },
          'pull request already existed, reusing it',
        );
        return existing;
      }
    },

    async updatePullRequest(repo, number, change) {
      const pr = await call('PATCH', `${where(repo)}/pulls/${number}`, GitHubPullRequest, () =>
        octokit.rest.pulls.update({
          ...ids(repo),
          pull_number: number,
          ...(change.title === undefined ? {} : { title: change.title }),
          ...(change.body === undefined ? {} : { body: change.body }),
        }),
      );
      return toPullRequest(pr);
    },

    async closePullRequest(repo, number) {
      await call('PATCH', `${where(repo)}/pulls/${number}`, GitHubPullRequest, () =>
        octokit.rest.pulls.update({ ...ids(repo), pull_number: number, state: 'closed' }),
      );
    },

    async mergePullRequest(repo, number, mergeOptions): Promise<MergeResult> {
      try {
        const result = await call('PUT', `${where(repo)}/pulls/${number}/merge`, GitHubMergeResult, () =>
          octokit.rest.pulls.merge({
            ...ids(repo),
            pull_number: number,
            merge_method: mergeOptions.method,
            ...(mergeOptions.headSha === undefined ? {} : { sha: mergeOptions.headSha }),
            ...(mergeOptions.title === undefined ? {} : { commit_title: mergeOptions.title }),
            ...(mergeOptions.message === undefined ? {} : { commit_message: mergeOptions.message }),
          }),
        );
        return { merged: true, sha: result.sha ?? null };
      } catch (error) {
        const status = statusOf(error);
        if (status !== 405 && status !== 409) throw error;
        // GitHub's own words (octokit's message appends the documentation URL).
        const message = (refusalOf(error)?.message ?? '').trim();
        const pr = await getPullRequest(repo, number).catch(() => null);
        const result = decideGitHubMergeFailure(status, message, pr);
        logger.info({ repo: repo.fullName, number, status, ...result }, 'pull request not merged');
        return result;
      }
    },

    async setCommitStatus(repo, sha, status) {
      await call('POST', `${where(repo)}/statuses/${sha}`, Unread, () =>
        octokit.rest.repos.createCommitStatus({
          ...ids(repo),
          sha,
          state: status.state,
          context: status.context,
          description: status.description,
          ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
        }),
      );
    },

    async listCommitStatuses(repo, sha) {
      const combined = await call('GET', `${where(repo)}/commits/${sha}/status`, GitHubCombinedStatus, () =>
        octokit.rest.repos.getCombinedStatusForRef({ ...ids(repo), ref: sha, per_page: 100 }),
      );
      return combined.statuses.map((s) => ({
        context: s.context,
        state: s.state,
        description: (s.description ?? '').slice(0, 140),
        ...(s.target_url ? { targetUrl: s.target_url } : {}),
      }));
    },

    async createComment(repo, number, body) {
      const comment = await call('POST', `${where(repo)}/issues/${number}/comments`, GitHubComment, () =>
        octokit.rest.issues.createComment({ ...ids(repo), issue_number: number, body }),
      );
      return toComment(comment);
    },

    async updateComment(repo, commentId, body) {
      const comment = await call('PATCH', `${where(repo)}/issues/comments/${commentId}`, GitHubComment, () =>
        octokit.rest.issues.updateComment({ ...ids(repo), comment_id: commentId, body }),
      );
      return toComment(comment);
    },

    async listRepoComments(repo) {
      const comments = await call(
        'GET',
        `${where(repo)}/issues/comments`,
        GitHubRepoComment.array(),
        async () => ({
          data: await octokit.paginate(octokit.rest.issues.listCommentsForRepo, {
            ...ids(repo),
            sort: 'created',
            direction: 'asc',
            per_page: 100,
          }),
        }),
      );
      return comments.flatMap((c) => {
        const number = Number(/\/issues\/(\d+)$/.exec(c.issue_url)?.[1] ?? NaN);
        if (!Number.isInteger(number) || number <= 0) return [];
        return [{ ...toComment(c), number, pullRequest: /\/pull\/\d+#/.test(c.html_url) }];
      });
    },

    async listComments(repo, number) {
      const comments = await call(
        'GET',
        `${where(repo)}/issues/${number}/comments`,
        GitHubComment.array(),
        async () => ({
          data: await octokit.paginate(octokit.rest.issues.listComments, {
            ...ids(repo),
            issue_number: number,
            per_page: 100,
          }),
        }),
      );
      return comments.map(toComment);
    },

    async listReviews(repo, number) {
      const reviews = await call(
        'GET',
        `${where(repo)}/pulls/${number}/reviews`,
        GitHubReview.array(),
        async () => ({
          data: await octokit.paginate(octokit.rest.pulls.listReviews, {
            ...ids(repo),
            pull_number: number,
            per_page: 100,
          }),
        }),
      );
      return reviews.map(toReview);
    },

    async addReaction(repo, commentId, reaction) {
      await call('POST', `${where(repo)}/issues/comments/${commentId}/reactions`, Unread, () =>
        octokit.rest.reactions.createForIssueComment({
          ...ids(repo),
          comment_id: commentId,
          content: reaction,
        }),
      );
    },

    async getPermission(repo, user) {
      try {
        const answer = await call(
          'GET',
          `${where(repo)}/collaborators/${user}/permission`,
          GitHubPermission,
          () => octokit.rest.repos.getCollaboratorPermissionLevel({ ...ids(repo), username: user }),
        );
        return toPermission(answer.permission);
      } catch (error) {
        // 404: not a user; a user that does not exist may do nothing.
        if (statusOf(error) === 404) return 'none';
        const refusal = refusalOf(error);
        if (error instanceof AccessError && refusal) {
          throw new AccessError(
            `GitHub does not let promobot read @${user}'s permission on ${repo.fullName}`,
            {
              capability: 'read-permission',
              advice: adviseReadPermission(refusal, repo.fullName),
              cause: error,
            },
          );
        }
        throw error;
      }
    },

    async isTeamMember(org, team, user) {
      // A 404 on the membership means "not a member" only once the bot is known to see the team: GitHub answers
      // 404 alike for a team hidden from the bot (secret, or the bot outside the org) and a user outside it.
      try {
        await call('GET', `/orgs/${org}/teams/${team}`, GitHubTeam, () =>
          octokit.rest.teams.getByName({ org, team_slug: team }),
        );
      } catch (error) {
        const refusal = refusalOf(error);
        if (statusOf(error) === 404 && refusal) {
          throw new AccessError(`GitHub does not show team ${org}/${team} to promobot`, {
            capability: 'read-org-teams',
            advice: adviseUnseenTeam(refusal.headers, org, team),
            cause: error,
          });
        }
        if (error instanceof AccessError) {
          throw new AccessError(`GitHub does not let promobot read team ${org}/${team}`, {
            capability: 'read-org-teams',
            advice: error.advice ?? adviseUnseenTeam({}, org, team),
            cause: error,
          });
        }
        throw error;
      }
      try {
        const membership = await call(
          'GET',
          `/orgs/${org}/teams/${team}/memberships/${user}`,
          GitHubMembership,
          () => octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: team, username: user }),
        );
        // A pending invitation is not membership yet.
        return membership.state === 'active';
      } catch (error) {
        // The bot sees the team (read above): a 404 now means the user is not in it.
        if (statusOf(error) === 404) return false;
        if (error instanceof AccessError) {
          throw new AccessError(`GitHub does not let promobot read the members of team ${org}/${team}`, {
            capability: 'read-team-members',
            advice: error.advice ?? adviseUnseenTeam({}, org, team),
            cause: error,
          });
        }
        throw error;
      }
    },

    async deleteBranch(repo, branch) {
      try {
        await call('DELETE', `${where(repo)}/git/refs/heads/${branch}`, Unread, () =>
          octokit.rest.git.deleteRef({ ...ids(repo), ref: `heads/${branch}` }),
        );
      } catch (error) {
        const status = statusOf(error);
        const message = refusalOf(error)?.message ?? '';
        // 404, or 422 "Reference does not exist": already gone, which is what was asked.
        if (status === 404 || (status === 422 && /does not exist/i.test(message))) return;
        if (status === 422) {
          throw new AccessError(`GitHub refused to delete branch ${branch} of ${repo.fullName}: ${message}`, {
            capability: 'delete-branch',
            advice: `branch protection or a ruleset on ${repo.fullName} covers ${branch}: leave promobot's branches (promobot/*) out of it, or allow promobot to delete them`,
            cause: error,
          });
        }
        throw error;
      }
    },

    cloneUrl(repo) {
      return `${webUrl(options.baseUrl)}/${repo.owner}/${repo.name}.git`;
    },
  };
  return host;
}
