/**
 * Every Redis key promobot writes itself, in one place. bullmq builds its own queue keys from the same prefix; the
 * only one read here is a job's hash (`jobKey`). Each key is `<prefix>:<area>:...`; the prefix is
 * `PROMOBOT_QUEUE_PREFIX` (`promobot` by default), so two installations can share one Redis.
 *
 * The shapes are part of the stored state: a running worker after an upgrade must find what the one before wrote.
 * test/queue/redis-keys.test.ts lists every key byte for byte; change one only with a migration.
 */
export interface RedisKeys {
  /** A bullmq job's hash: its existence means the job (so the delivery) was seen. */
  jobKey(queue: string, jobId: string): string;

  /** The head commit whose gate soak is current for a PR. */
  gatesHead(repoFullName: string, pr: number): string;
  /** The soak state of one PR head. */
  gatesState(repoFullName: string, pr: number, headSha: string): string;
  /** The merge commit whose watch is current for an environment. */
  watchCurrent(policy: string, app: string, env: string): string;
  /** The watch state of one merge commit. */
  watchState(policy: string, app: string, env: string, mergeSha: string): string;

  /** ChatOps state of a promotion PR (`repo` is lower-cased: hosts treat names case-insensitively). */
  chatopsState(scm: string, repo: string, pr: number): string;
  /** The number of the last state write of a PR, sealed into its status comment (refuses a replayed older copy). */
  chatopsSeq(scm: string, repo: string, pr: number): string;
  /** The per-PR lock ChatOps takes while it changes a PR's state. */
  chatopsLock(scm: string, repo: string, pr: number): string;
  /** The claim, then the done mark, of one comment. */
  chatopsComment(scm: string, repo: string, commentId: number): string;

  /** Changes waiting to land on a deploy repo, and those landed (`repo` is the deploy repo's key). */
  pending(repo: string): string;
  landed(repo: string): string;
  /** The lock around a deploy repo's working copy (`repo` is the working copy's key). */
  gitLock(repo: string): string;

  /** The lock around reconciling one app. */
  appLock(policy: string, app: string): string;
  /** When the last reconcile of an app that finished began (epoch ms). */
  reconciled(policy: string, app: string): string;
  /** The newest image pushed for an app: `at`, `tag`, `digest`. */
  pushed(policy: string, app: string): string;
  /** Who asked for a promotion or rollback that has no PR yet. */
  requested(policy: string, app: string, kind: string, env: string): string;
  /** What is known of a candidate's rollout in an environment (state, evidence, verified time). */
  rollout(policy: string, app: string, env: string): string;
  /** A notification's hint that an environment's rollout changed, taken by the next reconcile. */
  rolloutPoke(policy: string, app: string, env: string): string;
  /** A post-merge watch waiting for the target to be verified running the merge. */
  rolloutWatch(policy: string, app: string, env: string): string;
  /** The rollout status last published on a PR (`repo` is `owner/name`). */
  rolloutPublished(repo: string, pr: number): string;
  /** The board's snapshot of each app (a hash, field `<policy>/<app>`), written by the worker, read by serve. */
  boardApps(): string;
  /** The pub/sub channel the worker announces board changes on. */
  boardEvents(): string;
  /** The gate rounds kept for the board's chart of one PR head. */
  boardRounds(repo: string, pr: number, headSha: string): string;
  /** The earlier per-app hash of promotion requesters, read once to migrate what waits there. */
  requestedEarlier(policy: string, app: string): string;
  /** Messages sent to one notification sink in one minute (`minute` is epoch minutes), for its rate limit. */
  notifyRate(policy: string, sink: string, minute: number): string;
  /** The global stops (`/hold <scope>` on an issue) of a deploy repo (`repo` lower-cased), as JSON. */
  globalStops(scm: string, repo: string): string;
  /** The lock taken while a stop command changes them. */
  globalStopsLock(scm: string, repo: string): string;
  /** Since when (epoch ms) a PR head has waited for its approvals and nothing else (`repo` lower-cased). */
  waitingSince(repo: string, pr: number, headSha: string): string;
  /** What `promobot/freeze` status was last set on a PR (`repo` lower-cased): it is set again only when it changes. */
  freezePublished(repo: string, pr: number): string;
}

/** The keys under `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  const chatops = (scm: string, repo: string, pr: number) =>
    `${prefix}:chatops:${scm}:${repo.toLowerCase()}:${String(pr)}`;
  return {
    jobKey: (queue, jobId) => `${prefix}:${queue}:${jobId}`,
    gatesHead: (repo, pr) => `${prefix}:gates:head:${repo}:${pr}`,
    gatesState: (repo, pr, sha) => `${prefix}:gates:state:${repo}:${pr}:${sha}`,
    watchCurrent: (policy, app, env) => `${prefix}:watch:current:${policy}:${app}:${env}`,
    watchState: (policy, app, env, sha) => `${prefix}:watch:state:${policy}:${app}:${env}:${sha}`,
    chatopsState: (scm, repo, pr) => `${chatops(scm, repo, pr)}:state`,
    chatopsSeq: (scm, repo, pr) => `${chatops(scm, repo, pr)}:seq`,
    chatopsLock: (scm, repo, pr) => `${chatops(scm, repo, pr)}:lock`,
    chatopsComment: (scm, repo, commentId) =>
      `${prefix}:chatops:comment:${scm}:${repo.toLowerCase()}:${String(commentId)}`,
    pending: (repo) => `${prefix}:pending:${repo}`,
    landed: (repo) => `${prefix}:landed:${repo}`,
    gitLock: (repo) => `${prefix}:git-lock:${repo}`,
    appLock: (policy, app) => `${prefix}:app-lock:${policy}:${app}`,
    reconciled: (policy, app) => `${prefix}:reconciled:${policy}:${app}`,
    pushed: (policy, app) => `${prefix}:pushed:${policy}:${app}`,
    requested: (policy, app, kind, env) => `${prefix}:requested:${policy}:${app}:${kind}:${env}`,
    rollout: (policy, app, env) => `${prefix}:rollout:${policy}:${app}:${env}`,
    rolloutPoke: (policy, app, env) => `${prefix}:rollout-poke:${policy}:${app}:${env}`,
    rolloutWatch: (policy, app, env) => `${prefix}:rollout-watch:${policy}:${app}:${env}`,
    rolloutPublished: (repo, pr) => `${prefix}:rollout-published:${repo}#${String(pr)}`,
    boardApps: () => `${prefix}:board:apps`,
    boardEvents: () => `${prefix}:board:events`,
    boardRounds: (repo, pr, sha) => `${prefix}:board:rounds:${repo}:${String(pr)}:${sha}`,
    requestedEarlier: (policy, app) => `${prefix}:requested:${policy}:${app}`,
    notifyRate: (policy, sink, minute) => `${prefix}:notify:rate:${policy}:${sink}:${String(minute)}`,
    globalStops: (scm, repo) => `${prefix}:stops:${scm}:${repo.toLowerCase()}`,
    globalStopsLock: (scm, repo) => `${prefix}:stops:${scm}:${repo.toLowerCase()}:lock`,
    freezePublished: (repo, pr) => `${prefix}:freeze-published:${repo.toLowerCase()}:${String(pr)}`,
    waitingSince: (repo, pr, sha) => `${prefix}:waiting-since:${repo.toLowerCase()}:${String(pr)}:${sha}`,
  };
}
