import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryReader, type TagReader } from '../../src/git/index.js';
import { parseBatch } from '../../src/git/env-history.js';
import { createGitRunner } from '../../src/git/run-git.js';
import { createLogger } from '../../src/logger/index.js';
import { isYamlPath, readTags } from '../../src/updaters/index.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { PEOPLE_IMAGE, PEOPLE_PROD_RUNS, seedPeopleHistory } from '../support/people-history.js';

const reader: TagReader = {
  key: 'chat-ui',
  wants: isYamlPath,
  tagsOf: (path, text) => readTags(new Map([[path, text]]), { app: 'chat-ui', image: PEOPLE_IMAGE }),
};

describe('git/createHistoryReader()', () => {
  let repo: TempRepo;
  let dates: Record<string, number>;
  const logger = createLogger({ level: 'silent' });
  const calls: string[] = [];
  const runner = () => {
    const run = createGitRunner({
      cwd: repo.work,
      env: { PATH: process.env.PATH ?? '', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      secrets: [],
      branch: 'main',
      timeoutMs: 30_000,
      logger,
    });
    return (operation: string, args: readonly string[], input?: Buffer) => {
      calls.push(input ? `${operation}:${input.toString().trim().split('\n').length}` : operation);
      return run(operation, args, input);
    };
  };

  beforeAll(() => {
    repo = createTempRepo({ 'README.md': 'deploy repo\n' });
    ({ dates } = seedPeopleHistory(repo));
  });
  afterAll(() => repo.cleanup());

  it('reads every tag people ran in prod from the files, through merges, reverts and four formats', async () => {
    const history = await createHistoryReader(runner()).read(
      git(repo.work, 'rev-parse', 'HEAD'),
      'chat-ui/prod',
      reader,
    );
    expect(history.truncated).toBe(false);
    expect(history.runs.map((r) => r.tag)).toEqual([...PEOPLE_PROD_RUNS]);
    const [current, , , reverted, merged, , first] = history.runs;
    expect(current).toMatchObject({
      since: dates['1a2b3c4']! * 1000,
      endedBy: null,
      author: 'Frank <frank@example.test>',
    });
    expect(current?.subject).toBe('chat-ui prod: 1a2b3c4, and the sidecar that reads its tag');
    expect(merged).toMatchObject({ since: dates['0c0c0c0']! * 1000, subject: "Merge branch 'hotfix'" });
    expect(reverted).toMatchObject({
      since: dates['0b0b0b0-again']! * 1000,
      author: 'Dave <dave@example.test>',
    });
    expect(reverted?.subject).toMatch(/^Revert "Merge branch 'hotfix'"/);
    expect(first).toMatchObject({ since: dates['0a0a0a0']! * 1000, trailers: {} });
    expect(history.runs.slice(1).every((r) => r.endedBy !== null)).toBe(true);
  });

  it('adds who and why from the bot trailers where a commit has them', async () => {
    repo.commit(
      {
        'chat-ui/prod/values.yaml': `replicas: 3\nimage:\n  repository: ${PEOPLE_IMAGE}\n  tag: "3f9c2ab"\n`,
        'chat-ui/prod/sidecar.yaml': 'env:\n  - name: UI_TAG\n    value: 3f9c2ab # promobot: chat-ui\n',
      },
      'promote(chat-ui): prod 1a2b3c4 → 3f9c2ab\n\nPromobot-App: chat-ui\nPromobot-Environment: prod\nPromobot-Tag: 3f9c2ab\nPromobot-Approved-By: release-lead\nSigned-off-by: Someone <s@example.test>',
    );
    const tip = git(repo.work, 'rev-parse', 'HEAD');
    const history = await createHistoryReader(runner()).read(tip, 'chat-ui/prod', reader);
    expect(history.runs.map((r) => r.tag)).toEqual(['3f9c2ab', ...PEOPLE_PROD_RUNS]);
    expect(history.runs[0]?.trailers).toEqual({
      'Promobot-App': 'chat-ui',
      'Promobot-Environment': 'prod',
      'Promobot-Tag': '3f9c2ab',
      'Promobot-Approved-By': 'release-lead',
    });
    expect(history.runs[1]?.endedBy).toBe(tip);
  });

  it('stops at the depth limit, listing what ran at its edge with an unknown start', async () => {
    const tip = git(repo.work, 'rev-parse', 'HEAD');
    const history = await createHistoryReader(runner(), { depth: 3 }).read(tip, 'chat-ui/prod', reader);
    expect(history.truncated).toBe(true);
    // The 3 newest commits changing prod: 3f9c2ab, 1a2b3c4, the move to Helm; before them kustomize ran 0d0d0d0.
    expect(history.runs.map((r) => [r.tag, r.since === null])).toEqual([
      ['3f9c2ab', false],
      ['1a2b3c4', false],
      ['0e0e0e0', false],
      ['0d0d0d0', true],
    ]);
  });

  it('stops early when the file versions to read pass their cap, as at the depth limit', async () => {
    const tip = git(repo.work, 'rev-parse', 'HEAD');
    const history = await createHistoryReader(runner(), { maxVersionsRead: 3 }).read(
      tip,
      'chat-ui/prod',
      reader,
    );
    // The newest commit changed two files; the one before two more, past the cap: the walk starts between them.
    expect(history.truncated).toBe(true);
    expect(history.runs.map((r) => [r.tag, r.since === null])).toEqual([
      ['3f9c2ab', false],
      ['1a2b3c4', true],
    ]);
  });

  it('answers a second read of the same commit from its cache, and reads only new file versions after a commit', async () => {
    const reading = createHistoryReader(runner());
    const tip = git(repo.work, 'rev-parse', 'HEAD');
    calls.length = 0;
    const cold = await reading.read(tip, 'chat-ui/prod', reader);
    expect(calls).toEqual(['log', expect.stringMatching(/^cat-file:\d+$/), 'cat-file:8']);
    calls.length = 0;
    expect(await reading.read(tip, 'chat-ui/prod', reader)).toBe(cold);
    expect(calls).toEqual([]);
    const next = repo.commit(
      { 'chat-ui/prod/values.yaml': `image:\n  repository: ${PEOPLE_IMAGE}\n  tag: "4d5e6f7"\n` },
      'hand edit',
    );
    const warm = await reading.read(next, 'chat-ui/prod', reader);
    expect(warm.runs.map((r) => r.tag).slice(0, 2)).toEqual(['4d5e6f7', '3f9c2ab']);
    // One new file version read (the rest come from the cache), and the one commit that brought a tag in.
    expect(calls.slice(-3)).toEqual(['log', 'cat-file:1', 'cat-file:1']);
    // 3f9c2ab still runs in the sidecar: both tags run at once now.
    expect(warm.runs[1]?.endedBy).toBeNull();
  });

  it('reads an environment no commit ever touched as empty', async () => {
    const history = await createHistoryReader(runner()).read(
      git(repo.work, 'rev-parse', 'HEAD'),
      'chat-ui/nowhere',
      reader,
    );
    expect(history).toMatchObject({ runs: [], truncated: false });
  });
});

describe('git/parseBatch()', () => {
  it('splits objects by their byte sizes even when text decodes to fewer characters', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const c = 'c'.repeat(40);
    const first = '# équipe ✓\nimage: x:1\n';
    const out = `${a} blob ${Buffer.byteLength(first)}\n${first}\n${b} missing\n${c} blob 3\nend\n`;
    expect(parseBatch(out, [a, b, c])).toEqual(
      new Map([
        [a, first],
        [c, 'end'],
      ]),
    );
  });
});
