/**
 * History read: "which tags did this app run in this environment, and from when" on a generated 10,000-file deploy
 * repo with 5,000 commits of history on top of its seed, through the reader rollbacks and soak clocks use
 * (`src/git/env-history.ts`: one `git log --first-parent --raw` restricted to the folder, one `cat-file --batch`).
 * Cold is a fresh reader (empty caches); warm is the same reader asked again at the same tip, and after one new
 * commit (the case of every reconcile after a push). The floor is the `git log` alone, which any reader pays.
 */
import { spawnSync } from 'node:child_process';
import { createHistoryReader, HISTORY_DEPTH, type TagReader } from '../src/git/index.js';
import { createGitRunner } from '../src/git/run-git.js';
import { createLogger } from '../src/logger/index.js';
import { isYamlPath, readTags } from '../src/updaters/index.js';
import {
  createDeployRepoFixture,
  deployment,
  ENVIRONMENTS,
  GIT_ENV,
  git,
  imageOf,
} from './support/deploy-repo-fixture.js';
import { ms, summarize, type Summary } from './support/stats.js';
import type { Bench } from './run.js';

const FILES = 10_000;
const COMMITS = 5_000;
/** One commit in this many bumps the hot environment; the others bump some other app's environment. */
const HOT_EVERY = 4;
const RUNS = 7;

const tagOf = (i: number) => i.toString(16).padStart(12, '0');

/** Appends `COMMITS` commits to `main`, each bumping one deployment, with `git fast-import`. */
function addHistory(bare: string, apps: readonly string[], hot: { app: string; env: string }): void {
  const chunks: string[] = [];
  const start = Math.floor(Date.now() / 1000) - COMMITS * 60;
  for (let i = 1; i <= COMMITS; i++) {
    const target =
      i % HOT_EVERY === 0
        ? hot
        : { app: apps[1 + ((i * 7_919) % (apps.length - 1))]!, env: ENVIRONMENTS[i % ENVIRONMENTS.length]! };
    const content = deployment(target.app, target.env, tagOf(i));
    const message = `bump ${target.app} in ${target.env} to ${tagOf(i)}\n`;
    chunks.push(
      `commit refs/heads/main\ncommitter Bench Person <person@example.test> ${start + i * 60} +0000\n` +
        `data ${Buffer.byteLength(message)}\n${message}${i === 1 ? 'from refs/heads/main^0\n' : ''}` +
        `M 100644 inline ${target.app}/${target.env}/deployment.yaml\ndata ${Buffer.byteLength(content)}\n${content}\n\n`,
    );
  }
  const imported = spawnSync('git', ['fast-import', '--quiet'], {
    cwd: bare,
    env: GIT_ENV,
    input: chunks.join(''),
    maxBuffer: 64 * 2 ** 20,
  });
  if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr.toString()}`);
  git(bare, 'repack', '-a', '-d', '-q');
}

function readerOf(app: string): TagReader {
  const image = { app, image: imageOf(app), helmTagPaths: [] };
  return {
    key: app,
    wants: isYamlPath,
    tagsOf: (path, text) => readTags(new Map([[path, text]]), image),
  };
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

export const historyRead: Bench = {
  name: 'history-read',
  async run() {
    const fixture = createDeployRepoFixture(FILES);
    try {
      const hot = { app: fixture.apps[0]!, env: 'prod' };
      addHistory(fixture.bare, fixture.apps, hot);
      const run = createGitRunner({
        cwd: fixture.bare,
        env: { PATH: process.env.PATH ?? '', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
        secrets: [],
        branch: 'main',
        timeoutMs: 120_000,
        logger: createLogger({ level: 'silent' }),
      });
      const tip = git(fixture.bare, 'rev-parse', 'main');
      const before = git(fixture.bare, 'rev-parse', 'main~1');
      const commits = Number(git(fixture.bare, 'rev-list', '--count', 'main'));
      const files = Number(git(fixture.bare, 'ls-tree', '-r', '--name-only', 'main').split('\n').length);
      // A typical environment: the one the first commit bumped, bumped again a few times in the 5,000 commits.
      const typical = { app: fixture.apps[1 + (7_919 % (fixture.apps.length - 1))]!, env: ENVIRONMENTS[1]! };
      const rows: {
        name: string;
        touching: number;
        runs: number;
        cold: Summary;
        warm: Summary;
        next: Summary;
        floor: Summary;
      }[] = [];
      const cases = [
        { ...hot, label: 'hot', graph: false },
        { ...typical, label: 'typical', graph: false },
        { ...hot, label: 'hot, after maintain()', graph: true },
        { ...typical, label: 'typical, after maintain()', graph: true },
      ];
      for (const target of cases) {
        // What DeployRepo.maintain() writes into the working copy: a commit-graph with changed-path filters.
        if (target.graph)
          git(fixture.bare, 'commit-graph', 'write', '--reachable', '--changed-paths', '--split');
        const dir = `${target.app}/${target.env}`;
        const reader = readerOf(target.app);
        const touching = Number(
          git(fixture.bare, 'rev-list', '--count', '--first-parent', 'main', '--', dir),
        );
        const times = {
          cold: [] as number[],
          warm: [] as number[],
          next: [] as number[],
          floor: [] as number[],
        };
        let runs = 0;
        for (let i = 0; i < RUNS; i++) {
          const history = createHistoryReader(run);
          times.cold.push(
            await time(async () => (runs = (await history.read(tip, dir, reader)).runs.length)),
          );
          times.warm.push(await time(() => history.read(tip, dir, reader)));
          const next = createHistoryReader(run);
          await next.read(before, dir, reader);
          times.next.push(await time(() => next.read(tip, dir, reader)));
          times.floor.push(
            await time(() =>
              run('log', [
                'log',
                '--first-parent',
                '--format=%H',
                `--max-count=${HISTORY_DEPTH}`,
                tip,
                '--',
                dir,
              ]),
            ),
          );
        }
        rows.push({
          name: `${dir} (${target.label})`,
          touching,
          runs,
          cold: summarize(times.cold),
          warm: summarize(times.warm),
          next: summarize(times.next),
          floor: summarize(times.floor),
        });
      }
      return [
        '## History read (`bench/history-read.ts`)',
        '',
        `"Which tags ran in this environment, and from when" on a generated repo of ${files.toLocaleString('en')} files ` +
          `and ${commits.toLocaleString('en')} commits (one in ${HOT_EVERY} bumps the hot environment, the rest some ` +
          `other app's), ${RUNS} reads each. cold: a fresh reader, empty caches; warm: the same reader at the same ` +
          'tip (the cache keyed by commit); +1 commit: a reader that read the tip before, asked at the new tip (blob ' +
          `and commit caches warm, the log walked again). The depth limit is ${HISTORY_DEPTH.toLocaleString('en')} ` +
          'commits touching the folder. floor: the `git log --first-parent -- <folder>` alone. "after maintain()": ' +
          'once the commit-graph with changed-path filters that `DeployRepo.maintain()` writes is there.',
        '',
        '| environment | commits touching it | tag runs read | cold p50 ms | cold max ms | warm p50 ms | +1 commit p50 ms | floor p50 ms |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        ...rows.map(
          (r) =>
            `| ${r.name} | ${r.touching.toLocaleString('en')} | ${r.runs.toLocaleString('en')} | ${ms(r.cold.p50)} | ` +
            `${ms(r.cold.max)} | ${ms(r.warm.p50)} | ${ms(r.next.p50)} | ${ms(r.floor.p50)} |`,
        ),
        '',
      ].join('\n');
    } finally {
      fixture.cleanup();
    }
  },
};
