import { existsSync } from 'node:fs';
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PromobotError } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { createGitRunner, type RunGit } from './run-git.js';

export interface WorkingCopyOptions {
  dir: string;
  url: string;
  branch: string;
  env: Record<string, string>;
  secrets: readonly string[];
  timeoutMs: number;
  logger: Logger;
}

/** One persistent clone of a deploy repo branch. Callers hold the repo lock around every method. */
export interface WorkingCopy {
  readonly dir: string;
  /** Clones on first use; afterwards checks the clone and fetches the branch. Returns the remote tip. */
  fetch(): Promise<string>;
  /** {@link fetch}, then makes the files exactly the remote tip (leftovers of a crashed run included). */
  sync(): Promise<string>;
  /** Marks the tree as being edited, so a crash before {@link commit} or {@link discard} is cleaned up next time. */
  beginEdit(): Promise<void>;
  /** Stages exactly `paths` and commits; null when they hold no change (no empty commit). */
  commit(paths: Iterable<string>, message: string): Promise<string | null>;
  /** Pushes HEAD to the branch: a fast-forward or nothing, never a force. */
  push(): Promise<void>;
  /** Drops edits to `paths` and resets to the remote tip; the tree is clean again. */
  discard(paths: Iterable<string>): Promise<void>;
  /** Runs git in the working copy, for reads such as `log`. */
  readonly run: RunGit;
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

/** A working copy under `dir`, cloned from `url` the first time it is used. */
export function createWorkingCopy(options: WorkingCopyOptions): WorkingCopy {
  const { dir, branch, logger } = options;
  const remoteRef = `refs/remotes/origin/${branch}`;
  const runner = (cwd: string) =>
    createGitRunner({
      cwd,
      env: options.env,
      secrets: options.secrets,
      branch,
      timeoutMs: options.timeoutMs,
      logger,
    });
  let run: RunGit | undefined;
  const git: RunGit = (operation, args) => {
    run ??= runner(dir);
    return run(operation, args);
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

  const fetchOnce = async () => {
    await git('fetch', [
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-write-fetch-head',
      'origin',
      `+refs/heads/${branch}:${remoteRef}`,
    ]);
    return (await git('rev-parse', ['rev-parse', '--verify', `${remoteRef}^{commit}`])).trim();
  };

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

  const fetch = () => withRepair(fetchOnce);

  return {
    dir,
    run: git,
    fetch,
    async sync() {
      return withRepair(async () => {
        const tip = await fetchOnce();
        await git('reset', ['reset', '--quiet', '--hard', tip]);
        if (existsSync(marker)) {
          // A previous run died mid-edit: its new files are untracked and survive `reset --hard`.
          await git('clean', ['clean', '-ffdqx']);
          await unlink(marker).catch(() => undefined);
        }
        return tip;
      });
    },
    async beginEdit() {
      await writeFile(marker, `${process.pid}\n`);
    },
    async commit(paths, message) {
      const present: string[] = [];
      const gone: string[] = [];
      for (const path of paths) (existsSync(join(dir, path)) ? present : gone).push(path);
      if (present.length > 0) await git('add', ['add', '--all', '--', ...present]);
      if (gone.length > 0) await git('rm', ['rm', '--cached', '--quiet', '--ignore-unmatch', '--', ...gone]);
      const staged = await git('diff', ['diff', '--cached', '--name-only', '-z']);
      if (staged === '') {
        await unlink(marker).catch(() => undefined);
        return null;
      }
      await git('commit', [
        'commit',
        '--quiet',
        '--no-verify',
        '--no-gpg-sign',
        '--cleanup=verbatim',
        '-m',
        message,
      ]);
      await unlink(marker).catch(() => undefined);
      return (await git('rev-parse', ['rev-parse', 'HEAD'])).trim();
    },
    async push() {
      // No `+`, no `--force`: a push that is not a fast-forward is refused by the server and re-derived by us.
      await git('push', [
        'push',
        '--porcelain',
        '--quiet',
        '--no-verify',
        'origin',
        `HEAD:refs/heads/${branch}`,
      ]);
    },
    async discard(paths) {
      await git('reset', ['reset', '--quiet', '--hard', remoteRef]);
      const list = [...paths];
      if (list.length > 0) await git('clean', ['clean', '-ffdqx', '--', ...list]);
      await unlink(marker).catch(() => undefined);
    },
  };
}
