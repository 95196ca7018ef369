import type { Comment, ScmHost } from '../../../src/scm/index.js';

/** One call that would have changed something on the code host. */
export interface RecordedWrite {
  method: string;
  args: unknown[];
}

export interface RecordingScmHost {
  readonly host: ScmHost;
  /** Every write asked for since the last `writes.length = 0`, in order. */
  readonly writes: RecordedWrite[];
  /** How many distinct questions went to the real host. */
  readonly asked: () => number;
}

/**
 * An `ScmHost` in front of a real one (here: the Gitea client talking to the Gitea double) that asks each distinct
 * question once and remembers the answer, and records every write instead of sending it.
 *
 * Why: each call to the Gitea double runs git in a child process (it syncs refs first), 9 ms or more, so 10,000
 * comments through it would take minutes. Remembering reads is sound here because nothing may change the PRs while
 * the fuzz runs, and a write that would have changed one is recorded and fails the property. The same comments go
 * through the double itself in the smaller end-to-end runs.
 */
export function recordingScmHost(real: ScmHost): RecordingScmHost {
  const answers = new Map<string, Promise<unknown>>();
  const writes: RecordedWrite[] = [];
  let nextId = 900_000_000;

  const read = <T>(method: string, args: unknown[], ask: () => Promise<T>): Promise<T> => {
    const key = JSON.stringify([method, args]);
    const known = answers.get(key) as Promise<T> | undefined;
    if (known) return known;
    const answer = ask();
    answers.set(key, answer);
    // A failed question is asked again next time, as the runtime would.
    answer.catch(() => answers.delete(key));
    return answer;
  };
  const write = <T>(method: string, args: unknown[], answer: T): Promise<T> => {
    writes.push({ method, args });
    return Promise.resolve(answer);
  };
  /** Writes ChatOps has no business making: recorded, and refused so the handling stops there. */
  const forbidden = (method: string, args: unknown[]): Promise<never> => {
    writes.push({ method, args });
    return Promise.reject(new Error(`ChatOps asked the code host to ${method} while handling a comment`));
  };
  const comment = (body: string): Comment => ({
    id: nextId++,
    author: 'promobot',
    body,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  });

  const host: ScmHost = {
    kind: real.kind,
    whoAmI: () => read('whoAmI', [], () => real.whoAmI()),
    findOpenPullRequest: (repo, head, base) =>
      read('findOpenPullRequest', [repo.fullName, head, base], () =>
        real.findOpenPullRequest(repo, head, base),
      ),
    getPullRequest: (repo, number) =>
      read('getPullRequest', [repo.fullName, number], () => real.getPullRequest(repo, number)),
    listOpenPullRequests: (repo, base) =>
      read('listOpenPullRequests', [repo.fullName, base], () => real.listOpenPullRequests(repo, base)),
    listCommitStatuses: (repo, sha) =>
      read('listCommitStatuses', [repo.fullName, sha], () => real.listCommitStatuses(repo, sha)),
    listComments: (repo, number) =>
      read('listComments', [repo.fullName, number], () => real.listComments(repo, number)),
    listReviews: (repo, number) =>
      read('listReviews', [repo.fullName, number], () => real.listReviews(repo, number)),
    getPermission: (repo, user) =>
      read('getPermission', [repo.fullName, user.toLowerCase()], () => real.getPermission(repo, user)),
    isTeamMember: (org, team, user) =>
      read('isTeamMember', [org, team, user.toLowerCase()], () => real.isTeamMember(org, team, user)),
    cloneUrl: (repo) => real.cloneUrl(repo),
    createComment: (repo, number, body) =>
      write('createComment', [repo.fullName, number, body], comment(body)),
    updateComment: (repo, id, body) =>
      write('updateComment', [repo.fullName, id, body], { ...comment(body), id }),
    addReaction: (repo, id, reaction) => write('addReaction', [repo.fullName, id, reaction], undefined),
    setCommitStatus: (repo, sha, status) => write('setCommitStatus', [repo.fullName, sha, status], undefined),
    createPullRequest: (repo, pr) => forbidden('createPullRequest', [repo.fullName, pr]),
    updatePullRequest: (repo, number, change) =>
      forbidden('updatePullRequest', [repo.fullName, number, change]),
    closePullRequest: (repo, number) => forbidden('closePullRequest', [repo.fullName, number]),
    mergePullRequest: (repo, number, options) =>
      forbidden('mergePullRequest', [repo.fullName, number, options]),
    deleteBranch: (repo, branch) => forbidden('deleteBranch', [repo.fullName, branch]),
  };
  return { host, writes, asked: () => answers.size };
}
