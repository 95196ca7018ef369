import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Environment for every git call in tests: no user or system config leaks in. */
export const GIT_TEST_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test Person',
  GIT_AUTHOR_EMAIL: 'person@example.test',
  GIT_COMMITTER_NAME: 'Test Person',
  GIT_COMMITTER_EMAIL: 'person@example.test',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_TEST_ENV, encoding: 'utf8' }).trimEnd();
}

export interface TempRepo {
  /** The bare repository, usable as a remote URL (a path). */
  readonly bare: string;
  /** A working clone of it for the test to seed and inspect. */
  readonly work: string;
  readonly root: string;
  /** Writes files in the working clone, commits them and pushes to the bare repo. Returns the new commit id. */
  commit(files: Record<string, string>, message?: string): string;
  /** Fetches and resets the working clone to the bare repo's branch. */
  pull(): void;
  /** `git log` subjects of the branch on the bare repo, newest first. */
  log(format?: string): string[];
  cleanup(): void;
}

/** A temp bare repo with branch `main` and a working clone, seeded with `files`. */
export function createTempRepo(
  files: Record<string, string> = { 'README.md': 'deploy repo\n' },
  branch = 'main',
): TempRepo {
  const root = mkdtempSync(join(tmpdir(), 'promobot-git-'));
  const bare = join(root, 'remote.git');
  const work = join(root, 'work');
  execFileSync('git', ['init', '--quiet', '--bare', `--initial-branch=${branch}`, bare], {
    env: GIT_TEST_ENV,
  });
  execFileSync('git', ['init', '--quiet', `--initial-branch=${branch}`, work], { env: GIT_TEST_ENV });
  git(work, 'remote', 'add', 'origin', bare);

  const repo: TempRepo = {
    bare,
    work,
    root,
    commit(changes, message = 'seed') {
      for (const [path, content] of Object.entries(changes)) {
        const full = join(work, path);
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
      git(work, 'add', '--all');
      git(work, 'commit', '--quiet', '--allow-empty', '-m', message);
      git(work, 'push', '--quiet', 'origin', `HEAD:${branch}`);
      return git(work, 'rev-parse', 'HEAD');
    },
    pull() {
      git(work, 'fetch', '--quiet', 'origin');
      git(work, 'reset', '--quiet', '--hard', `origin/${branch}`);
    },
    log(format = '%s') {
      const out = git(bare, 'log', `--format=${format}`, branch);
      return out === '' ? [] : out.split('\n');
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  repo.commit(files);
  return repo;
}

/**
 * Pushes branch `branch` of `repo`'s bare repo with one commit changing `file`, made on `from` (main is left
 * alone, and the working clone is back on main after); returns the branch head.
 */
export function pushBranch(
  repo: TempRepo,
  branch: string,
  file: string,
  content: string,
  from = 'main',
): string {
  git(repo.work, 'fetch', '--quiet', 'origin');
  git(repo.work, 'checkout', '--quiet', '-B', branch, `origin/${from}`);
  mkdirSync(dirname(join(repo.work, file)), { recursive: true });
  writeFileSync(join(repo.work, file), content);
  git(repo.work, 'add', '--all');
  git(repo.work, 'commit', '--quiet', '-m', `change ${file} on ${branch}`);
  git(repo.work, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`);
  const sha = git(repo.work, 'rev-parse', 'HEAD');
  git(repo.work, 'checkout', '--quiet', '-B', 'main', 'origin/main');
  return sha;
}
