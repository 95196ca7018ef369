/**
 * The two ways to bump a tag without promobot that the deploy benches compare against: the naive CI script (a
 * fresh shallow clone, sed, commit, push, as pipelines do it today) and the plain-git floor (a warm clone, one
 * edit, commit, push: the least git itself can do).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { devPath, git, GIT_ENV, imageOf } from './deploy-repo-fixture.js';

const run = promisify(execFile);

// What a CI job runs; `$1`.. are the remote, the work dir, the image, the tag and the file.
const NAIVE_SCRIPT = `set -eu
git clone --quiet --depth 1 --branch main "file://$1" "$2/deploy"
cd "$2/deploy"
sed -i -E "s#(image: \\"?$3):[A-Za-z0-9._-]+#\\1:$4#" "$5"
git commit --quiet -am "bump $5 to $4"
git push --quiet origin HEAD:main`;

/** The naive script once, timed from start to pushed; the clone is removed afterwards, outside the timing. */
export async function naiveBump(bare: string, app: string, tag: string): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'promobot-bench-naive-'));
  try {
    const started = performance.now();
    await run('sh', ['-c', NAIVE_SCRIPT, 'naive', bare, work, imageOf(app), tag, devPath(app)], {
      env: GIT_ENV,
    });
    return performance.now() - started;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface WarmClone {
  /** One edit, commit, push; returns the time taken. */
  bump(app: string, tag: string): Promise<number>;
  cleanup(): void;
}

/** A full clone of `bare`, made once; its bumps are the floor. It must be the only writer of `bare`. */
export function createWarmClone(bare: string): WarmClone {
  const root = mkdtempSync(join(tmpdir(), 'promobot-bench-floor-'));
  const work = join(root, 'deploy');
  git(root, 'clone', '--quiet', '--branch', 'main', bare, work);
  // Warm the index and the untracked cache, as a clone that has been used already is.
  git(work, 'status', '--porcelain');
  const image = imageOf;
  return {
    async bump(app, tag) {
      const started = performance.now();
      const file = join(work, devPath(app));
      const text = readFileSync(file, 'utf8');
      writeFileSync(
        file,
        text.replace(
          new RegExp(`(image: "?${image(app).replace(/[.]/g, '\\.')}):[A-Za-z0-9._-]+`, 'g'),
          `$1:${tag}`,
        ),
      );
      await run('git', ['add', '--', devPath(app)], { cwd: work, env: GIT_ENV });
      await run('git', ['commit', '--quiet', '-m', `bump ${app} to ${tag}`], { cwd: work, env: GIT_ENV });
      await run('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work, env: GIT_ENV });
      return performance.now() - started;
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
