import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PromobotError } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { createGitRunner, type CredentialSource, type RunGit } from './run-git.js';

export interface WorkingCopyOptions {
  dir: string;
  url: string;
  branch: string;
  /** The environment without credentials (author, committer, no prompt). */
  env: Record<string, string>;
  secrets: readonly string[];
  /** The remote's token, asked before every command; none for a remote without auth. */
  credentials?: CredentialSource | undefined;
  timeoutMs: number;
  logger: Logger;
}

/** One persistent clone of a deploy repo branch. Callers hold the repo lock around every method. */
export interface WorkingCopy {
  readonly dir: string;
  /**
   * Clones on first use; afterwards checks the clone and fetches the branch. Returns the remote tip. With
   * `fetchedAfter` (a {@link fetchesStarted} value read earlier), a fetch that started since then is as fresh as
   * a new one: the tip it gave (or a later push of ours) is returned without asking the remote again.
   */
  fetch(options?: FreshnessOptions): Promise<string>;
  /** {@link fetch}, then makes the files exactly the remote tip (leftovers of a crashed run included). */
  sync(options?: FreshnessOptions): Promise<string>;
  /** How many fetches of the target branch have started so far. */
  readonly fetchesStarted: number;
  /** Marks the tree as being edited, so a crash before {@link commit} or {@link discard} is cleaned up next time. */
  beginEdit(): Promise<void>;
  /**
   * Writes one commit per part on top of the fetched tip, in order, each staging exactly its `paths`; a part
   * that changes nothing makes no commit. Returns the last commit, or null when the tree is unchanged. HEAD does
   * not move: nothing reads it, and the next sync sets everything to the remote tip.
   */
  commit(parts: readonly CommitPart[]): Promise<string | null>;
  /** Pushes `commit` to the branch: a fast-forward or nothing, never a force. */
  push(commit: string): Promise<void>;
  /**
   * Makes the files another branch's remote tip — or the target's tip when that branch does not exist yet — so
   * that {@link commit} builds on it and {@link pushBranch} pushes there. The next {@link sync} returns the copy
   * to the target branch.
   */
  checkoutOther(branch: string): Promise<{ parent: string; exists: boolean; target: string }>;
  /** Pushes `commit` to another branch: a fast-forward (or a new branch), never a force. */
  pushBranch(commit: string, branch: string): Promise<void>;
  /** Drops edits to `paths` and resets to the remote tip; the tree is clean again. */
  discard(paths: Iterable<string>): Promise<void>;
  /** Packs loose objects when there are at least `looseObjects`, and merges packs when there are many. */
  maintain(looseObjects: number): Promise<void>;
  /** Runs git in the working copy, for reads such as `log`. */
  readonly run: RunGit;
}

/** One commit of a {@link WorkingCopy.commit}: the paths it stages and its whole message. */
export interface CommitPart {
  paths: Iterable<string>;
  message: string;
}

export interface FreshnessOptions {
  fetchedAfter?: number;
}

// Settings written into each clone: the hot path must not stat more than it needs or start a gc mid-push.
const CLONE_CONFIG = [
  'core.untrackedCache=true',
  'feature.manyFiles=true',
  'gc.auto=0',
  'maintenance.auto=false',
  'fetch.writeCommitGraph=false',
  'core.logAllRefUpdates=false',
  'advice.detachedHead=false',
];

// What a broken clone says (as opposed to the remote saying no): it is removed and cloned again.
const LOCAL_DAMAGE =
  /not a git repository|bad object|corrupt|unable to read|index file|loose object|packfile|bad config|invalid object|unknown revision|ambiguous argument|broken link|could not parse/i;

const EDIT_MARKER = 'promobot-editing';
// Where fast-import builds a chain of commits before it is pushed; overwritten by the next chain.
const CHAIN_REF = 'refs/promobot/chain';

/** A path as fast-import reads it: C-style quoted, so spaces and quotes need no special case. */
function quotePath(path: string): string {
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** A working copy under `dir`, cloned from `url` the first time it is used. */
export function createWorkingCopy(options: WorkingCopyOptions): WorkingCopy {
  const { dir, branch, logger } = options;
  const remoteRef = `refs/remotes/origin/${branch}`;
  const runner = (cwd: string) =>
    createGitRunner({
      cwd,
      env: options.env,
      secrets: options.secrets,
      credentials: options.credentials,
      branch,
      timeoutMs: options.timeoutMs,
      logger,
    });
  let run: RunGit | undefined;
  const git: RunGit = (operation, args, input) => {
    run ??= runner(dir);
    return run(operation, args, input);
  };
  const marker = join(dir, '.git', EDIT_MARKER);

  const clone = async () => {
    await mkdir(dirname(dir), { recursive: true });
    // Cloned beside the final folder and renamed into place: a crash mid-clone never leaves a half clone that
    // looks like a working copy.
    const staging = `${dir}.clone-${randomBytes(4).toString('hex')}`;
    const args = ['clone', '--quiet', '--no-tags', '--single-branch', '--branch', branch];
    for (const setting of CLONE_CONFIG) args.push('-c', setting);
    args.push('--', options.url, basename(staging));
    const started = performance.now();
    try {
      await runner(dirname(dir))('clone', args);
      // Whatever is there without a .git is no working copy: leftovers of a failed removal.
      await rm(dir, { recursive: true, force: true });
      await rename(staging, dir);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    run = undefined;
    logger.info({ repoDir: dir, ms: Math.round(performance.now() - started) }, 'deploy repo cloned');
  };

  const reclone = async (why: unknown) => {
    logger.warn(
      { repoDir: dir, reason: why instanceof Error ? why.message : String(why) },
      'deploy repo working copy is damaged; cloning it again',
    );
    await rm(dir, { recursive: true, force: true });
    await clone();
  };

  // The remote tip and its tree as of the last fetch, and the commit the index and files are known to match.
  let tip = { commit: '', tree: '' };
  let cleanAt: string | null = null;
  // False while `tip` is another branch's (between checkoutOther and the next fetch of the target).
  let tipIsTarget = false;
  let fetchesStarted = 0;
  // The tree of the last commit written, so a push of it can move `tip` without asking git.
  let written = { commit: '', tree: '' };

  const fetchOnce = async () => {
    fetchesStarted += 1;
    // Verbose on purpose, here and below: simple-git waits 50 ms longer for a command that printed nothing.
    // The `+` only lets our own remote-tracking ref follow the remote wherever it went; it pushes nothing.
    await git('fetch', [
      'fetch',
      '--verbose',
      '--no-tags',
      '--no-write-fetch-head',
      'origin',
      `+refs/heads/${branch}:${remoteRef}`,
    ]);
    const [commit = '', tree = ''] = (
      await git('rev-parse', ['rev-parse', `${remoteRef}^{commit}`, `${remoteRef}^{tree}`])
    )
      .trim()
      .split('\n');
    tip = { commit, tree };
    tipIsTarget = true;
    return commit;
  };

  /** A fetch, unless one that started after `fetchedAfter` already gave the target's tip. */
  const fetchFresh = (options: FreshnessOptions = {}) =>
    options.fetchedAfter !== undefined && fetchesStarted > options.fetchedAfter && tipIsTarget
      ? Promise.resolve(tip.commit)
      : fetchOnce();

  /** Runs `step`; when the failure comes from the clone itself (not the remote), re-clones and runs it again. */
  const withRepair = async <T>(step: () => Promise<T>): Promise<T> => {
    if (!existsSync(join(dir, '.git'))) await clone();
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof PromobotError) || !LOCAL_DAMAGE.test(error.message)) throw error;
      await reclone(error);
      return step();
    }
  };

  /**
   * Several commits in a chain on the tip with three git processes, however many there are: one `fast-import`
   * writes them all from the files as they are now, then the index is brought to the last one. A burst of 100
   * apps would otherwise take 300 processes (update-index, write-tree and commit-tree each).
   */
  const commitChain = async (parts: readonly CommitPart[]) => {
    const env = options.env;
    const now = `${Math.floor(Date.now() / 1000)} +0000`;
    const author = `${env.GIT_AUTHOR_NAME ?? 'promobot'} <${env.GIT_AUTHOR_EMAIL ?? ''}> ${now}`;
    const committer = `${env.GIT_COMMITTER_NAME ?? env.GIT_AUTHOR_NAME ?? 'promobot'} <${env.GIT_COMMITTER_EMAIL ?? env.GIT_AUTHOR_EMAIL ?? ''}> ${now}`;
    const chunks: Buffer[] = [];
    const line = (text: string) => chunks.push(Buffer.from(`${text}\n`, 'utf8'));
    const data = (bytes: Buffer) => {
      line(`data ${bytes.length}`);
      chunks.push(bytes, Buffer.from('\n'));
    };
    const staged = new Set<string>();
    for (const [index, part] of parts.entries()) {
      line(`commit ${CHAIN_REF}`);
      line(`author ${author}`);
      line(`committer ${committer}`);
      data(Buffer.from(part.message.endsWith('\n') ? part.message : `${part.message}\n`, 'utf8'));
      if (index === 0) line(`from ${tip.commit}`);
      for (const path of part.paths) {
        staged.add(path);
        const full = join(dir, path);
        const stats = await lstat(full).catch(() => null);
        if (stats === null) {
          line(`D ${quotePath(path)}`);
          continue;
        }
        line(`M ${stats.mode & 0o111 ? '100755' : '100644'} inline ${quotePath(path)}`);
        data(await readFile(full));
      }
    }
    line('done');
    // `--force` lets the local chain ref move to a new chain; it pushes nothing.
    await git('fast-import', ['fast-import', '--quiet', '--done', '--force'], Buffer.concat(chunks));
    const [commit = '', tree = ''] = (
      await git('rev-parse', ['rev-parse', `${CHAIN_REF}^{commit}`, `${CHAIN_REF}^{tree}`])
    )
      .trim()
      .split('\n');
    // The next commit stages on this index: it must hold what the chain committed.
    if (staged.size > 0) await git('update-index', ['update-index', '--add', '--remove', '--', ...staged]);
    return { commit, tree };
  };

  return {
    dir,
    run: git,
    get fetchesStarted() {
      return fetchesStarted;
    },
    fetch: (options) => withRepair(() => fetchFresh(options)),
    async sync(options) {
      return withRepair(async () => {
        const commit = await fetchFresh(options);
        const dirty = existsSync(marker);
        // Right after our own push the files already are the tip: skip the reset, the hot path of a burst.
        if (commit !== cleanAt || dirty) {
          cleanAt = null;
          await git('reset', ['reset', '--hard', commit]);
        }
        if (dirty) {
          // A previous run died mid-edit: its new files are untracked and survive `reset --hard`.
          await git('clean', ['clean', '-ffdx']);
          await unlink(marker).catch(() => undefined);
        }
        cleanAt = commit;
        return commit;
      });
    },
    async maintain(looseObjects) {
      if (!existsSync(join(dir, '.git'))) return;
      const stats = await git('count-objects', ['count-objects', '-v']);
      const count = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(stats)?.[1] ?? 0);
      // Every fetch adds a pack; past a few dozen, reads slow down, so they are merged into one.
      if (count('packs') > 50) await git('repack', ['repack', '-a', '-d', '-q']);
      else if (count('count') >= looseObjects) await git('repack', ['repack', '-d', '-q']);
      await git('prune-packed', ['prune-packed']);
      // Changed-path Bloom filters let a history read's `git log -- <folder>` skip the commits that do not touch
      // the folder without diffing their trees (on 10,000 files × 5,000 commits: 350 ms → 10 ms). Incremental.
      await git('commit-graph', ['commit-graph', 'write', '--reachable', '--changed-paths', '--split']);
    },
    async checkoutOther(other) {
      return withRepair(async () => {
        const target = await fetchOnce();
        const otherRef = `refs/remotes/origin/${other}`;
        const listed = await git('ls-remote', ['ls-remote', '--heads', 'origin', `refs/heads/${other}`]);
        const exists = listed.trim() !== '';
        if (exists) {
          await git('fetch', [
            'fetch',
            '--verbose',
            '--no-tags',
            '--no-write-fetch-head',
            'origin',
            `+refs/heads/${other}:${otherRef}`,
          ]);
        }
        const parentRef = exists ? otherRef : remoteRef;
        const [commit = '', tree = ''] = (
          await git('rev-parse', ['rev-parse', `${parentRef}^{commit}`, `${parentRef}^{tree}`])
        )
          .trim()
          .split('\n');
        // From here until the next sync, commits build on the other branch's tip.
        tip = { commit, tree };
        tipIsTarget = false;
        cleanAt = null;
        await git('reset', ['reset', '--hard', commit]);
        if (existsSync(marker)) {
          await git('clean', ['clean', '-ffdx']);
          await unlink(marker).catch(() => undefined);
        }
        return { parent: commit, exists, target };
      });
    },
    async pushBranch(commit, other) {
      await git('push', ['push', '--porcelain', '--no-verify', 'origin', `${commit}:refs/heads/${other}`]);
      await unlink(marker).catch(() => undefined);
      cleanAt = null;
    },
    async beginEdit() {
      await writeFile(marker, `${process.pid}\n`);
    },
    async commit(parts) {
      cleanAt = null;
      let parent = tip;
      if (parts.length > 1) {
        parent = await commitChain(parts);
      } else {
        for (const part of parts) {
          const list = [...part.paths];
          // Plumbing instead of `add` + `commit`: stages exactly these paths (a vanished one is removed), and
          // never stats or scans the rest of a 10,000-file tree.
          if (list.length > 0)
            await git('update-index', ['update-index', '--add', '--remove', '--verbose', '--', ...list]);
          const tree = (await git('write-tree', ['write-tree'])).trim();
          // What this part wrote was already there: no empty commit.
          if (tree === parent.tree) continue;
          const commit = (
            await git('commit-tree', ['commit-tree', tree, '-p', parent.commit, '-m', part.message])
          ).trim();
          parent = { commit, tree };
        }
      }
      if (parent === tip) {
        // Index and files hold exactly the tip: what apply wrote was already there.
        await unlink(marker).catch(() => undefined);
        cleanAt = tip.commit;
        return null;
      }
      written = parent;
      return parent.commit;
    },
    async push(commit) {
      // No `+`, no `--force`: a push that is not a fast-forward is refused by the server and re-derived by us.
      await git('push', ['push', '--porcelain', '--no-verify', 'origin', `${commit}:refs/heads/${branch}`]);
      await unlink(marker).catch(() => undefined);
      cleanAt = commit;
      // The remote's tip is now this commit (git moved the remote-tracking ref too).
      if (written.commit === commit) tip = written;
    },
    async discard(paths) {
      const list = [...paths];
      if (list.length === 0 && cleanAt === tip.commit) {
        // Nothing was written since the tree last matched the tip.
        await unlink(marker).catch(() => undefined);
        return;
      }
      cleanAt = null;
      await git('reset', ['reset', '--hard', remoteRef]);
      if (list.length > 0) {
        await git('clean', ['clean', '-ffdx', '--', ...list]);
        await removeEmptyParents(dir, list);
      }
      await unlink(marker).catch(() => undefined);
      cleanAt = tip.commit;
    },
  };
}

/** `git clean` removes files, not the folders a failed apply created for them. */
async function removeEmptyParents(root: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const segments = path.split('/').slice(0, -1);
    for (let depth = segments.length; depth > 0; depth -= 1) {
      const removed = await rmdir(join(root, ...segments.slice(0, depth))).then(
        () => true,
        () => false,
      );
      if (!removed) break;
    }
  }
}
