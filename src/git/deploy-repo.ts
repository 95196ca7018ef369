import type { Redis } from 'ioredis';
import { PermanentError, TransientError } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { backoffDelay, sleep } from './backoff.js';
import { createHistoryReader, type EnvHistory, type TagReader } from './env-history.js';
import { createFileTree, type FileTree } from './file-tree.js';
import { findLastCommits, type CommitQuery, type TrailerCommit } from './find-last-commits.js';
import { formatCommitMessage } from './format-commit-message.js';
import { basicAuthHeader, gitEnv } from './git-env.js';
import { acquireRepoLock } from './repo-lock.js';
import { PushRejectedError, type CredentialSource } from './run-git.js';
import { DeployRepoOptions } from './schema.js';
import type { Trailers } from './trailers.js';
import { createWorkingCopy, type CommitPart } from './working-copy.js';
import { repoKey, workingCopyDir } from './working-copy-dir.js';
import { redisKeys } from '../redis/keys.js';

const SKIPPED = Symbol('skipped');

/**
 * What `apply` wants committed: the message (subject, then an optional body) and its trailers. When `apply`
 * returns several, each becomes its own commit staging its `paths` (in order, all in one push); files written but
 * named by none go into the last.
 */
export interface CommitSpec {
  message: string;
  trailers?: Trailers;
  paths?: readonly string[];
}

/** Edits the tree of the current remote tip; null when there is nothing to change. May run more than once. */
export type ApplyChanges = (
  tree: FileTree,
  context: { attempt: number; base: string },
) => Promise<CommitSpec | readonly CommitSpec[] | null>;

export interface TransactResult {
  /**
   * The commit that holds the change: the one pushed, or the remote tip when there was nothing to commit; null
   * when `skipIf` called the transaction off before it looked at the repo.
   */
  commit: string | null;
  /** How many times `apply` ran (1 unless a push lost a race; 0 when skipped). */
  attempts: number;
  pushed: boolean;
}

export interface TransactOptions {
  /** Runs after the push (or the no-op) while the lock is still held, e.g. to acknowledge coalesced changes. */
  onSettled?: (result: TransactResult) => Promise<void>;
  /**
   * Asked while waiting for the lock and once it is won: true means another holder already did this work, so the
   * transaction stops without fetching (a burst of coalesced jobs does not queue up for the lock one by one).
   */
  skipIf?: () => Promise<boolean>;
}

export interface DeployRepo {
  /** Stable id of the repo and branch, for Redis keys. */
  readonly key: string;
  /** The working copy folder. */
  readonly dir: string;
  /**
   * Under the repo lock: brings the working copy to the remote tip, runs `apply`, commits what it wrote and pushes.
   * A push that loses a race is never forced: the tip is fetched and `apply` runs again on it, with jittered
   * backoff, up to `maxAttempts`; then `TransientError`. Refusals no retry can fix are `PermanentError`s with advice.
   */
  transact(apply: ApplyChanges, options?: TransactOptions): Promise<TransactResult>;
  /**
   * Under the repo lock: `apply` edits the tip of another `branch` (a promotion PR's), created from the target
   * branch's tip when missing; the result is committed there and pushed as a fast-forward, never forced. When the
   * branch already has commits that `isForeign` calls someone else's, nothing is written.
   */
  transactBranch(
    branch: string,
    apply: ApplyChanges,
    options: { isForeign: (commits: readonly BranchCommit[]) => boolean },
  ): Promise<BranchTransactResult>;
  /** Commits on `branch` that are not on the target branch (empty when the branch does not exist). */
  branchCommits(branch: string): Promise<BranchCommit[]>;
  /**
   * The files under `dir` (or under each of several) on the target branch's tip — every file when `dir` is
   * empty — with the tip. Reads wait for this process's writes, not for other workers'; a fetch started after
   * the call serves every reader waiting for it.
   */
  readTree(dir: string | readonly string[]): Promise<TreeSnapshot>;
  /**
   * When the target branch's first-parent history last changed how often `text` occurs under `dir`, in epoch
   * ms; null when it never did. For "since when does this environment run this tag" (soak timers). From `at` (a
   * commit `readTree` gave) when given, so both answers describe one snapshot; from a fresh tip otherwise.
   */
  changedAt(dir: string, text: string, at?: string): Promise<number | null>;
  /**
   * Which tags ran under `dir`, and from when, across the target branch's first-parent history: read from the
   * files by `reader`, whoever made each commit (see `env-history.ts` for the depth limit and the caches). From
   * `at` (a commit `readTree` gave) when given; from a fresh tip otherwise.
   */
  history(dir: string, reader: TagReader, at?: string): Promise<EnvHistory>;
  /** The newest commits on the branch whose trailers match, newest first (for rollbacks and rebuilding state). */
  findLastCommits(query: CommitQuery): Promise<TrailerCommit[]>;
  /**
   * Under the lock, packs the working copy's loose objects once there are `looseObjects` (default 6,700, git's own
   * gc threshold) and merges packs when fetches have left many. Commits and fetches never start a gc themselves
   * (`gc.auto=0`), so a worker calls this now and then, off the hot path.
   */
  maintain(options?: { looseObjects?: number }): Promise<void>;
  /**
   * Whether `descendant` is `ancestor` or descends from it (`git merge-base --is-ancestor`), for "does the revision
   * Argo CD synced contain promobot's landing commit". A commit the working copy lacks is fetched once (the target
   * branch); one still unknown after that (another branch's, or a force-pushed-away commit) contains nothing.
   */
  contains(ancestor: string, descendant: string): Promise<boolean>;
}

/** A commit on another branch that is not on the target branch, with who made it. */
export interface BranchCommit {
  commit: string;
  authorEmail: string;
  committerEmail: string;
  /** The committer time, epoch ms (git keeps whole seconds). */
  committedAt: number;
}

export interface BranchTransactResult {
  /** The branch tip afterwards (the new commit, or the tip as it was when nothing changed). */
  commit: string;
  pushed: boolean;
  /** Set when `isForeign` judged the branch's own commits as someone else's: nothing was written. */
  foreign: boolean;
}

/** The files under one folder of the target branch's tip, and that tip. */
export interface TreeSnapshot {
  commit: string;
  files: Map<string, string>;
}

export interface DeployRepoDeps {
  redis: Redis;
  logger: Logger;
  /** Source of `PATH` and `HOME` for git; the process environment by default. */
  baseEnv?: NodeJS.ProcessEnv;
}

/**
 * The writer of one deploy repo branch: a persistent working copy under `<dataDir>/repos/`, a Redis lock shared by
 * every worker, and commits attributed to the configured author and committer.
 *
 * @example
 * const repo = createDeployRepo({ url, branch: 'main', dataDir, author }, { redis, logger });
 * await repo.transact(async (tree) => {
 *   const text = await tree.read('chat-ui/dev/deployment.yaml');
 *   if (text === null) return null;
 *   await tree.write('chat-ui/dev/deployment.yaml', text.replace(':1a2b3c4', ':3f9c2ab'));
 *   return { message: 'promote(chat-ui): dev 1a2b3c4 → 3f9c2ab', trailers: { 'Promobot-App': 'chat-ui' } };
 * });
 */
export function createDeployRepo(input: DeployRepoOptions, deps: DeployRepoDeps): DeployRepo {
  const parsed = DeployRepoOptions.safeParse(input);
  if (!parsed.success) {
    // Messages only: the input holds the token.
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new PermanentError(`invalid deploy repo options: ${problems}`);
  }
  const options = parsed.data;
  const auth = options.auth;
  const key = repoKey(options.url, options.branch);
  const dir = workingCopyDir(options.dataDir, options.url, options.branch);
  const logger = deps.logger.child({ deployRepo: key, branch: options.branch });
  const envWith = (withAuth?: { username: string; token: string }) =>
    gitEnv({
      base: deps.baseEnv ?? process.env,
      url: options.url,
      author: options.author,
      ...(withAuth === undefined ? {} : { auth: withAuth }),
      ...(options.committer === undefined ? {} : { committer: options.committer }),
    });
  // The token is asked for before every command, so an App's installation token is renewed as it expires; it only
  // ever lives in the child's environment and in the scrub list.
  const credentials: CredentialSource | undefined =
    auth === undefined
      ? undefined
      : async (refused) => {
          const token = typeof auth.token === 'string' ? auth.token : await auth.token(refused);
          const withAuth = { username: auth.username, token };
          return {
            token,
            env: envWith(withAuth),
            secrets: [token, basicAuthHeader(withAuth).slice('Basic '.length)],
          };
        };
  const workingCopy = createWorkingCopy({
    dir,
    url: options.url,
    branch: options.branch,
    env: envWith(),
    secrets: [],
    credentials,
    timeoutMs: options.commandTimeoutMs,
    logger,
  });

  // Reads objects only, through the working copy's git; its caches live as long as this repo object.
  const histories = createHistoryReader(workingCopy.run);

  // One job at a time in this process uses the working copy (its files, index and refs). Readers need only this;
  // writers also take the Redis lock, which orders pushes across every worker.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const run = turn.then(work, work);
    turn = run.catch(() => undefined);
    return run;
  };

  const withLock = async <T>(
    work: (lease: { readonly lost: boolean }) => Promise<T>,
    giveUpIf?: () => Promise<boolean>,
  ): Promise<T | typeof SKIPPED> => {
    const lease = await acquireRepoLock({
      redis: deps.redis,
      key: redisKeys(options.lock.prefix).gitLock(key),
      ttlMs: options.lock.ttlMs,
      waitMs: options.lock.waitMs,
      logger,
      ...(giveUpIf === undefined ? {} : { giveUpIf }),
    });
    if (lease === null) return SKIPPED;
    try {
      if (giveUpIf && (await giveUpIf())) return SKIPPED;
      return await inTurn(() => work(lease));
    } finally {
      await lease
        .release()
        .catch((error: unknown) => logger.warn({ err: error }, 'deploy repo lock release failed'));
    }
  };

  const listBranchCommits = async (target: string, tipOfBranch: string): Promise<BranchCommit[]> => {
    const out = await workingCopy.run('log', [
      'log',
      '--format=%H%x00%ae%x00%ce%x00%ct',
      `${target}..${tipOfBranch}`,
    ]);
    return out
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [commit = '', authorEmail = '', committerEmail = '', seconds = ''] = line.split('\0');
        return { commit, authorEmail, committerEmail, committedAt: Number(seconds) * 1000 };
      });
  };

  const transactLocked = async (apply: ApplyChanges, lease: { readonly lost: boolean }) => {
    const started = performance.now();
    let base = await workingCopy.sync();
    for (let attempt = 1; ; attempt += 1) {
      const tree = await createFileTree(dir);
      await workingCopy.beginEdit();
      let pushed = false;
      try {
        const spec = await apply(tree, { attempt, base });
        const parts = commitParts(spec, tree.touched);
        const commit = parts.length === 0 ? null : await workingCopy.commit(parts);
        if (commit === null) {
          if (spec === null) await workingCopy.discard(tree.touched);
          logger.debug({ attempt }, 'nothing to commit');
          return { commit: base, attempts: attempt, pushed: false };
        }
        if (lease.lost)
          throw new TransientError('lost the deploy repo lock before pushing; the job is retried');
        await workingCopy.push(commit);
        pushed = true;
        logger.info(
          { commit, attempts: attempt, ms: Math.round(performance.now() - started) },
          'deploy repo change pushed',
        );
        return { commit, attempts: attempt, pushed: true };
      } catch (error) {
        if (pushed) throw error;
        const touched = [...tree.touched];
        if (!(error instanceof PushRejectedError)) {
          await workingCopy.discard(touched).catch(() => undefined);
          throw error;
        }
        if (attempt >= options.maxAttempts) {
          await workingCopy.discard(touched).catch(() => undefined);
          throw new TransientError(
            `push to ${options.branch} lost the race ${attempt} times; the job is retried`,
            {
              advice: 'Many writers push to this branch at once; promobot retries with backoff.',
            },
          );
        }
        // Clean up before the backoff, so between fetching the new tip and pushing there is as little as possible.
        await workingCopy.discard(touched);
        const delay = backoffDelay(attempt, { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs });
        logger.debug({ attempt, delay }, 'push rejected: the branch moved; re-applying on the new tip');
        await sleep(delay);
        base = await workingCopy.sync();
      }
    }
  };

  return {
    key,
    dir,
    async transact(apply, transactOptions = {}) {
      const result = await withLock(async (lease) => {
        const outcome = await transactLocked(apply, lease);
        await transactOptions.onSettled?.(outcome);
        return outcome;
      }, transactOptions.skipIf);
      if (result === SKIPPED) {
        logger.debug('transaction skipped: another holder did the work');
        return { commit: null, attempts: 0, pushed: false };
      }
      return result;
    },
    async transactBranch(branch, apply, branchOptions) {
      if (branch === options.branch)
        throw new PermanentError('transactBranch writes other branches than the target');
      const result = await withLock(async (lease) => {
        for (let attempt = 1; ; attempt += 1) {
          const { parent, exists, target } = await workingCopy.checkoutOther(branch);
          if (exists && branchOptions.isForeign(await listBranchCommits(target, parent))) {
            return { commit: parent, pushed: false, foreign: true };
          }
          const tree = await createFileTree(dir);
          await workingCopy.beginEdit();
          const spec = await apply(tree, { attempt, base: parent });
          const parts = commitParts(spec, tree.touched);
          const commit = parts.length === 0 ? null : await workingCopy.commit(parts);
          if (commit === null) {
            await workingCopy.discard(tree.touched);
            return { commit: parent, pushed: false, foreign: false };
          }
          if (lease.lost)
            throw new TransientError('lost the deploy repo lock before pushing; the job is retried');
          try {
            await workingCopy.pushBranch(commit, branch);
            logger.info({ commit, branch, attempts: attempt }, 'promotion branch pushed');
            return { commit, pushed: true, foreign: false };
          } catch (error) {
            // Someone pushed to the branch meanwhile: look again (their commit may make it foreign).
            if (!(error instanceof PushRejectedError) || attempt >= options.maxAttempts) throw error;
            await sleep(backoffDelay(attempt, { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs }));
          }
        }
      });
      if (result === SKIPPED) throw new TransientError('could not take the deploy repo lock');
      return result;
    },
    async branchCommits(branch) {
      return inTurn(async () => {
        const { parent, exists, target } = await workingCopy.checkoutOther(branch);
        return exists ? listBranchCommits(target, parent) : [];
      });
    },
    async readTree(folders) {
      // Any fetch that starts after this call is fresh enough: concurrent readers share one.
      const fetchedAfter = workingCopy.fetchesStarted;
      return inTurn(async () => {
        const commit = await workingCopy.sync({ fetchedAfter });
        const tree = await createFileTree(dir);
        const files = new Map<string, string>();
        for (const folder of typeof folders === 'string' ? [folders] : folders) {
          for (const path of await tree.list(folder === '' ? undefined : folder)) {
            const text = await tree.read(path);
            if (text !== null) files.set(path, text);
          }
        }
        return { commit, files };
      });
    },
    async changedAt(folder, text, at) {
      const fetchedAfter = workingCopy.fetchesStarted;
      // A log reads objects only: with a known commit it needs neither a fetch nor the working copy's turn.
      const from = at ?? (await inTurn(() => workingCopy.fetch({ fetchedAfter })));
      const out = await workingCopy.run('log', [
        'log',
        '-1',
        '--first-parent',
        '--diff-merges=first-parent',
        '--no-patch',
        '--format=%ct',
        `-S${text}`,
        from,
        '--',
        folder === '' ? '.' : folder,
      ]);
      const seconds = Number(out.trim());
      return out.trim() === '' || !Number.isFinite(seconds) ? null : seconds * 1000;
    },
    async history(folder, reader, at) {
      const fetchedAfter = workingCopy.fetchesStarted;
      const from = at ?? (await inTurn(() => workingCopy.fetch({ fetchedAfter })));
      return histories.read(from, folder, reader);
    },
    async findLastCommits(query) {
      const fetchedAfter = workingCopy.fetchesStarted;
      const from = await inTurn(() => workingCopy.fetch({ fetchedAfter }));
      return findLastCommits(workingCopy.run, from, query);
    },
    async contains(ancestor, descendant) {
      if (!FULL_SHA.test(ancestor) || !FULL_SHA.test(descendant)) return false;
      const known = (sha: string) =>
        workingCopy.run('cat-file', ['cat-file', '-t', sha]).then(
          (out) => out.trim() === 'commit',
          () => false,
        );
      if (!(await known(descendant)) || !(await known(ancestor))) {
        const fetchedAfter = workingCopy.fetchesStarted;
        await inTurn(() => workingCopy.fetch({ fetchedAfter }));
        if (!(await known(descendant)) || !(await known(ancestor))) return false;
      }
      // Exit 0: an ancestor; exit 1: not one (the runner throws for any non-zero exit).
      return workingCopy.run('merge-base', ['merge-base', '--is-ancestor', ancestor, descendant]).then(
        () => true,
        () => false,
      );
    },
    async maintain(maintainOptions = {}) {
      const looseObjects = Math.max(1, Math.floor(maintainOptions.looseObjects ?? 6_700));
      await withLock(() => workingCopy.maintain(looseObjects));
    },
  };
}

/** A full object name (SHA-1 or SHA-256): nothing else reaches git as a revision from Argo CD's answers. */
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** The commits `apply` asked for: one with every written file, or one per spec with its own paths. */
function commitParts(
  spec: CommitSpec | readonly CommitSpec[] | null,
  touched: ReadonlySet<string>,
): CommitPart[] {
  if (spec === null) return [];
  const specs: readonly CommitSpec[] = Array.isArray(spec) ? spec : [spec as CommitSpec];
  if (specs.length === 1) return [{ paths: touched, message: commitMessage(specs[0]!) }];
  const named = new Set(specs.flatMap((s) => s.paths ?? []));
  const rest = [...touched].filter((path) => !named.has(path));
  return specs.map((s, i) => ({
    paths: [...(s.paths ?? []).filter((path) => touched.has(path)), ...(i === specs.length - 1 ? rest : [])],
    message: commitMessage(s),
  }));
}

function commitMessage(spec: CommitSpec): string {
  const [subject = '', ...body] = spec.message.replace(/\r\n/g, '\n').split('\n');
  return formatCommitMessage(subject, body.join('\n'), spec.trailers ?? {});
}
