import type { RepoRef } from '../../../events/index.js';
import type { Logger } from '../../../logger/index.js';
import { exponentialDelay, PermanentError, TransientError } from '../../../errors/index.js';
import type {
  CommitStatus,
  MergeResult,
  Permission,
  PullRequest,
  RepoComment,
  ScmHost,
} from '../../../scm/types.js';
import { cannotReadMembers, cannotReadPermission, cannotReadTeams } from './access-errors.js';
import { decideMergeFailure } from './decide-merge-failure.js';
import { createGiteaClient, type RetryOptions } from './gitea-client.js';
import {
  GiteaCombinedStatus,
  GiteaComment,
  GiteaRepoComment,
  GiteaPermission,
  GiteaPullRequest,
  GiteaReview,
  GiteaTeam,
  GiteaTeamSearch,
  GiteaUser,
} from './schema.js';
import { toComment, toCommitStatus, toPullRequest, toReview } from './to-domain.js';

export interface GiteaHostOptions {
  /** Gitea's root URL, e.g. `https://gitea.example.com`. */
  baseUrl: string;
  token: string;
  logger: Logger;
  fetch?: typeof fetch;
  retry?: Partial<RetryOptions>;
  /** Per request; 30 s unless told. */
  timeoutMs?: number;
}

const seg = encodeURIComponent;

/**
 * The {@link ScmHost} for Gitea (REST v1, `Authorization: token …`). Made per use; holds no state but its client.
 *
 * @example
 * const host = createGiteaHost({ baseUrl: config.gitea.url, token: config.gitea.token, logger });
 * const pr = await host.findOpenPullRequest(repoRef('bootcamp/notes-deploy'), 'promobot/prod/chat-ui', 'main');
 */
export function createGiteaHost(options: GiteaHostOptions): ScmHost {
  const client = createGiteaClient(options);
  const logger = options.logger.child({ scm: 'gitea' });
  const repoPath = (repo: RepoRef) => `/repos/${seg(repo.owner)}/${seg(repo.name)}`;

  async function getPullRequest(repo: RepoRef, number: number): Promise<PullRequest> {
    const { data } = await client.request('GET', `${repoPath(repo)}/pulls/${number}`, {
      schema: GiteaPullRequest,
    });
    return toPullRequest(data as GiteaPullRequest);
  }

  async function listOpenPullRequests(repo: RepoRef, base?: string): Promise<PullRequest[]> {
    const items = await client.paginate(`${repoPath(repo)}/pulls`, GiteaPullRequest, {
      state: 'open',
      base_branch: base,
    });
    return items.map(toPullRequest);
  }

  async function findOpenPullRequest(repo: RepoRef, head: string, base: string): Promise<PullRequest | null> {
    // Gitea's list has no `head=` filter; this lookup has no state filter and may answer an old closed PR.
    const { status, data } = await client.request(
      'GET',
      `${repoPath(repo)}/pulls/${seg(base)}/${seg(head)}`,
      { schema: GiteaPullRequest, pass: [404] },
    );
    if (status === 200 && data) {
      const pr = toPullRequest(data as GiteaPullRequest);
      if (pr.state === 'open' && !pr.merged) return pr;
    } else {
      return null;
    }
    // The one it found was closed: an open one for the same branches may still exist beside it.
    const open = await listOpenPullRequests(repo, base);
    return open.find((pr) => pr.headRef === head && pr.baseRef === base) ?? null;
  }

  async function setPullRequestState(repo: RepoRef, number: number, state: 'closed') {
    const { status, data } = await client.request('PATCH', `${repoPath(repo)}/pulls/${number}`, {
      body: { state },
      schema: GiteaPullRequest,
      pass: [412],
    });
    // 412: the PR is merged, and a merged PR's state cannot change; closing it is moot.
    if (status === 412)
      logger.info(
        { repo: repo.fullName, number, reason: client.messageOf(data) },
        'pull request already merged, not closed',
      );
  }

  const host: ScmHost = {
    kind: 'gitea',

    async whoAmI() {
      const { data } = await client.request('GET', '/user', { schema: GiteaUser });
      return { login: (data as GiteaUser).login };
    },

    findOpenPullRequest,
    getPullRequest,
    listOpenPullRequests,

    async createPullRequest(repo, pr) {
      const { status, data } = await client.request('POST', `${repoPath(repo)}/pulls`, {
        body: { head: pr.head, base: pr.base, title: pr.title, body: pr.body },
        schema: GiteaPullRequest,
        pass: [409],
      });
      if (status === 409) {
        // "pull request already exists for these targets": someone (or an earlier attempt) was first.
        const existing = await findOpenPullRequest(repo, pr.head, pr.base);
        if (existing) {
          logger.info(
            { repo: repo.fullName, number: existing.number },
            'pull request already existed, reusing it',
          );
          return existing;
        }
        throw new PermanentError(`Gitea refused to create the pull request: ${client.messageOf(data)}`);
      }
      return toPullRequest(data as GiteaPullRequest);
    },

    async updatePullRequest(repo, number, change) {
      const body: Record<string, string> = {};
      if (change.title !== undefined) body.title = change.title;
      if (change.body !== undefined) body.body = change.body;
      // Gitea answers an edit with 201, not 200.
      const { data } = await client.request('PATCH', `${repoPath(repo)}/pulls/${number}`, {
        body,
        schema: GiteaPullRequest,
      });
      return toPullRequest(data as GiteaPullRequest);
    },

    async closePullRequest(repo, number) {
      await setPullRequestState(repo, number, 'closed');
    },

    async mergePullRequest(repo, number, mergeOptions): Promise<MergeResult> {
      const body: Record<string, string> = { do: mergeOptions.method };
      if (mergeOptions.headSha !== undefined) body.head_commit_id = mergeOptions.headSha;
      if (mergeOptions.title !== undefined) body.merge_title_field = mergeOptions.title;
      if (mergeOptions.message !== undefined) body.merge_message_field = mergeOptions.message;
      const { status, data } = await client.request('POST', `${repoPath(repo)}/pulls/${number}/merge`, {
        body,
        pass: [404, 405, 409],
      });
      const message = client.messageOf(data);
      if (status < 300) {
        const merged = await getPullRequest(repo, number);
        return { merged: true, sha: merged.mergeCommitSha };
      }
      const result = decideMergeFailure(
        status,
        message,
        await getPullRequest(repo, number).catch(() => null),
      );
      logger.info({ repo: repo.fullName, number, status, ...result }, 'pull request not merged');
      return result;
    },

    async setCommitStatus(repo, sha, status) {
      await client.request('POST', `${repoPath(repo)}/statuses/${seg(sha)}`, {
        body: {
          context: status.context,
          state: status.state,
          description: status.description,
          ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
        },
      });
    },

    async listCommitStatuses(repo, sha): Promise<CommitStatus[]> {
      const { data } = await client.request('GET', `${repoPath(repo)}/commits/${seg(sha)}/status`, {
        schema: GiteaCombinedStatus,
        query: { limit: 100 },
      });
      return ((data as GiteaCombinedStatus).statuses ?? []).map(toCommitStatus);
    },

    async createComment(repo, number, body) {
      // A POST whose answer was lost may have created the comment: look for it before posting again.
      let me: string | undefined;
      for (let attempt = 1; ; attempt += 1) {
        try {
          const { data } = await client.request('POST', `${repoPath(repo)}/issues/${number}/comments`, {
            body: { body },
            schema: GiteaComment,
            once: true,
          });
          return toComment(data as GiteaComment);
        } catch (error) {
          if (!(error instanceof TransientError) || attempt >= 3) throw error;
          await new Promise((resolve) =>
            setTimeout(resolve, error.retryAfterMs ?? exponentialDelay(attempt, { baseMs: 500 })),
          );
          me ??= ((await client.request('GET', '/user', { schema: GiteaUser })).data as GiteaUser).login;
          const { data } = await client.request('GET', `${repoPath(repo)}/issues/${number}/comments`, {
            schema: GiteaComment.array(),
          });
          const existing = (data as GiteaComment[])
            .map(toComment)
            .filter((c) => c.body === body && c.author.toLowerCase() === me!.toLowerCase())
            .at(-1);
          if (existing) return existing;
        }
      }
    },

    async updateComment(repo, commentId, body) {
      const { data } = await client.request('PATCH', `${repoPath(repo)}/issues/comments/${commentId}`, {
        body: { body },
        schema: GiteaComment,
      });
      return toComment(data as GiteaComment);
    },

    async listRepoComments(repo) {
      const items = await client.paginate(`${repoPath(repo)}/issues/comments`, GiteaRepoComment);
      const found: RepoComment[] = [];
      for (const item of items) {
        const pullRequest = (item.pull_request_url ?? '') !== '';
        const url = pullRequest ? (item.pull_request_url ?? '') : (item.issue_url ?? '');
        const number = Number(/\/(\d+)\/?$/.exec(url)?.[1] ?? NaN);
        // A comment Gitea cannot place (its issue failed to load: both URLs empty) is left out.
        if (!Number.isInteger(number) || number <= 0) continue;
        found.push({ ...toComment(item), number, pullRequest });
      }
      return found;
    },

    async listComments(repo, number) {
      const { data } = await client.request('GET', `${repoPath(repo)}/issues/${number}/comments`, {
        schema: GiteaComment.array(),
      });
      return (data as GiteaComment[]).map(toComment);
    },

    async listReviews(repo, number) {
      const reviews = await client.paginate(`${repoPath(repo)}/pulls/${number}/reviews`, GiteaReview);
      return reviews.map(toReview);
    },

    async addReaction(repo, commentId, reaction) {
      await client.request('POST', `${repoPath(repo)}/issues/comments/${commentId}/reactions`, {
        body: { content: reaction },
      });
    },

    // Least privilege (docs/ACCESS.md): this is the only Gitea read of another user's effective level, and it needs
    // repo admin; a refusal is promobot's setup, thrown as AccessError for the person to be told so.
    async getPermission(repo, user): Promise<Permission> {
      const { status, data } = await client.request(
        'GET',
        `${repoPath(repo)}/collaborators/${seg(user)}/permission`,
        { schema: GiteaPermission, pass: [403, 404] },
      );
      if (status === 403) {
        // Gitea lets only site admins and repo admins read another user's permission: promobot's setup is wrong.
        throw cannotReadPermission(repo.fullName, user, await botName(), client.messageOf(data));
      }
      // 404: no such user; a user that does not exist may do nothing.
      if (status === 404 || !data) return 'none';
      const level = (data as { permission: string }).permission;
      return level === 'owner' ? 'admin' : (level as Permission);
    },

    // Least privilege (docs/ACCESS.md): Gitea shows a team's members only to its members, so promobot is a member of
    // every `team:` approver's team; a refusal is thrown as AccessError, never read as "not a member".
    async isTeamMember(org, team, user) {
      const team_ = await findTeam(org, team);
      if (!team_) {
        logger.warn({ org, team }, 'team not found in organization');
        return false;
      }
      // reqTeamMembership: 403 for an org member outside the team. A 404 can only mean "not a member" here: the
      // team search just passed reqOrgMembership, and a caller outside the org would have been refused there.
      const { status, data } = await client.request('GET', `/teams/${team_.id}/members/${seg(user)}`, {
        pass: [403, 404],
      });
      if (status === 403) throw cannotReadMembers(org, team, await botName(), client.messageOf(data));
      return status === 200;
    },

    async deleteBranch(repo, branch) {
      // 404: already gone, which is what was asked.
      await client.request('DELETE', `${repoPath(repo)}/branches/${seg(branch)}`, { pass: [404] });
    },

    cloneUrl(repo) {
      return `${options.baseUrl.replace(/\/+$/, '')}/${repo.owner}/${repo.name}.git`;
    },
  };

  /** The bot's login for advice; a failure to read it must not hide the advice. */
  async function botName(): Promise<string> {
    try {
      return `promobot's Gitea user ${(await host.whoAmI()).login}`;
    } catch {
      return "promobot's Gitea user";
    }
  }

  async function findTeam(org: string, name: string): Promise<GiteaTeam | undefined> {
    const wanted = name.toLowerCase();
    // reqOrgMembership: 403 "Must be an organization member"; 404 for an org Gitea does not show.
    const { status, data } = await client.request('GET', `/orgs/${seg(org)}/teams/search`, {
      query: { q: name, limit: 50 },
      schema: GiteaTeamSearch,
      pass: [403, 404],
    });
    if (status === 403 || status === 404)
      throw cannotReadTeams(org, name, await botName(), status, client.messageOf(data));
    const found = ((data as { data?: GiteaTeam[] | null }).data ?? []).find(
      (t) => t.name.toLowerCase() === wanted,
    );
    if (found) return found;
    // The search finds only the bot's own teams (SearchTeam: "Only admin is allowed to search for all teams") and
    // matches substrings; the full list, open to every org member, settles it.
    const all = await client.paginate(`/orgs/${seg(org)}/teams`, GiteaTeam);
    return all.find((t) => t.name.toLowerCase() === wanted);
  }

  return host;
}
