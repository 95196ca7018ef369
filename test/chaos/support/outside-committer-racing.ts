/**
 * A person committing straight to the deploy repo's main while promobot works: plain git in their own clone,
 * pushing to the bare repo's path (not through Gitea), as fast as git goes. On a rejected push they do what people
 * do, `git pull --rebase` and push again; never a force. Each commit edits the README, a notes file of theirs, or a
 * file of an app promobot does not touch in this run (a comment line, never the image), so nothing of theirs can
 * conflict with promobot's changes and every one of their commits must survive.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { git as gitSync, GIT_TEST_ENV } from '../../support/git.js';
import { manifestPath } from './world.js';

const run = promisify(execFile);

const PERSON = {
  ...GIT_TEST_ENV,
  GIT_AUTHOR_NAME: 'Alice',
  GIT_AUTHOR_EMAIL: 'alice@example.test',
  GIT_COMMITTER_NAME: 'Alice',
  GIT_COMMITTER_EMAIL: 'alice@example.test',
};

export interface OutsideFigures {
  /** Commits pushed to main. */
  commits: number;
  /** Pushes main refused because it had moved (promobot, usually): each was rebased and pushed again. */
  rejected: number;
  readme: number;
  notes: number;
  /** Edits of an untouched app's files. */
  appFiles: number;
}

export interface OutsideCommitter {
  readonly figures: OutsideFigures;
  /** Every commit id that a push of theirs put on main, in order. */
  readonly pushed: readonly string[];
  /** Changes the pause between two commits (0: as fast as git goes). */
  pace(pauseMs: number): void;
  /** Finishes the commit in progress (pushed, or given up when `stop` came mid-retry) and stops. */
  stop(): Promise<void>;
}

export async function startOutsideCommitter(options: {
  bare: string;
  /** Apps promobot is not asked to touch in this run: their manifests are fair game. */
  untouchedApps: readonly string[];
  envs: readonly string[];
  /** Pause between two commits; 0 (the default) is as fast as git goes. */
  pauseMs?: number;
}): Promise<OutsideCommitter> {
  const root = mkdtempSync(join(tmpdir(), 'promobot-alice-'));
  const work = join(root, 'work');
  const git = async (...args: string[]) =>
    (await run('git', args, { cwd: work, env: PERSON, encoding: 'utf8' })).stdout.trim();
  await run('git', ['clone', '--quiet', '--branch', 'main', options.bare, work], { env: PERSON });

  const figures: OutsideFigures = { commits: 0, rejected: 0, readme: 0, notes: 0, appFiles: 0 };
  const pushed: string[] = [];
  let stopping = false;
  let pauseMs = options.pauseMs ?? 0;

  const edit = (i: number): string => {
    const write = (path: string, change: (text: string) => string) => {
      const full = join(work, path);
      mkdirSync(dirname(full), { recursive: true });
      let text = '';
      try {
        text = readFileSync(full, 'utf8');
      } catch {
        text = '';
      }
      writeFileSync(full, change(text));
      return path;
    };
    if (i % 3 === 0 && options.untouchedApps.length > 0) {
      figures.appFiles += 1;
      const app = options.untouchedApps[(i / 3) % options.untouchedApps.length]!;
      const env = options.envs[i % options.envs.length]!;
      return write(manifestPath(app, env), (text) => `${text}# reviewed by alice (${i})\n`);
    }
    if (i % 3 === 1) {
      figures.readme += 1;
      return write('README.md', (text) => `${text}- note ${i} from alice\n`);
    }
    figures.notes += 1;
    return write(`notes/alice-${i % 7}.md`, (text) => `${text}${i}\n`);
  };

  const loop = (async () => {
    for (let i = 0; !stopping; i += 1) {
      if (i > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      const path = edit(i);
      await git('add', '--', path);
      await git('commit', '--quiet', '-m', `alice: edit ${path} (${i})`);
      for (;;) {
        try {
          await git('push', '--quiet', 'origin', 'HEAD:main');
          pushed.push(await git('rev-parse', 'HEAD'));
          figures.commits += 1;
          break;
        } catch {
          figures.rejected += 1;
          // main moved under them: take it and put their commit on top, as a person would.
          await git('pull', '--quiet', '--rebase', 'origin', 'main');
          if (stopping) {
            // Their last commit is not pushed: leave it out of the figures (it is not on main).
            return;
          }
        }
      }
    }
  })();

  return {
    figures,
    pushed,
    pace(ms) {
      pauseMs = ms;
    },
    async stop() {
      stopping = true;
      await loop;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The files promobot's commits on `branch` changed that `allowed` does not allow, as `<commit> <path>`. A commit
 * built on a stale tree but pushed on a newer tip would undo someone's edit, and its diff would show that file.
 */
export function botEditsOutside(
  bare: string,
  botEmail: string,
  allowed: (path: string) => boolean,
  branch = 'main',
): string[] {
  const log = gitSync(bare, 'log', `--author=<${botEmail}>`, '--format=%x00%H', '--name-only', branch);
  const outside: string[] = [];
  let commit = '';
  for (const line of log.split('\n')) {
    if (line.startsWith('\0')) commit = line.slice(1);
    else if (line.trim() !== '' && !allowed(line)) outside.push(`${commit.slice(0, 7)} ${line}`);
  }
  return outside;
}
