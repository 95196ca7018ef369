import { describe, expect, it } from 'vitest';
import { PolicySpec } from '../../src/policy/schema.js';
import {
  decidePromotions,
  type AppSnapshot,
  type OpenPromotion,
} from '../../src/promotion/decide-promotions.js';

const spec = PolicySpec.parse({
  deployRepo: { scm: 'gitea', repo: 'bootcamp/notes-deploy' },
  apps: [{ name: 'chat-ui', image: 'harbor.example.com/bootcamp/chat-ui' }],
  environments: [
    { name: 'dev', path: '{{app}}/dev', update: 'commit' },
    { name: 'staging', path: '{{app}}/staging', update: 'pull-request', from: 'dev', autoMerge: true },
    { name: 'prod', path: '{{app}}/prod', update: 'pull-request', from: 'staging', soak: '10m' },
  ],
});
const app = spec.apps[0]!;
const MIN = 60_000;
const NOW = 1_000 * MIN;

function snapshot(over: Partial<AppSnapshot>): AppSnapshot {
  return { spec, app, running: {}, pushed: null, open: [], now: NOW, ...over };
}

function pr(
  number: number,
  env: string,
  tag: string,
  foreign = false,
  extra: { digest?: string; kind?: 'promotion' | 'rollback' } = {},
): OpenPromotion {
  return {
    number,
    foreign,
    meta: {
      v: 1,
      policy: 'chat',
      app: 'chat-ui',
      env,
      from: 'dev',
      tag,
      ...(extra.digest !== undefined ? { digest: extra.digest } : {}),
      previousTag: 'aaaaaaa',
      kind: extra.kind ?? 'promotion',
    },
  };
}

const OLD_DIGEST = `sha256:${'1'.repeat(64)}`;
const NEW_DIGEST = `sha256:${'2'.repeat(64)}`;

describe('promotion/decidePromotions()', () => {
  it('opens a staging PR when dev runs a tag staging does not', () => {
    const actions = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'bbbbbbb', since: NOW - MIN },
          staging: { tag: 'aaaaaaa', since: 0 },
          prod: { tag: 'aaaaaaa', since: 0 },
        },
      }),
    );
    expect(actions).toEqual([
      {
        kind: 'open',
        env: 'staging',
        from: 'dev',
        tag: 'bbbbbbb',
        digest: undefined,
        previousTag: 'aaaaaaa',
      },
    ]);
  });

  it('waits for the soak before opening the prod PR, and says when to look again', () => {
    const running = {
      dev: { tag: 'bbbbbbb', since: NOW - 5 * MIN },
      staging: { tag: 'bbbbbbb', since: NOW - 4 * MIN },
      prod: { tag: 'aaaaaaa', since: 0 },
    };
    expect(decidePromotions(snapshot({ running }))).toEqual([
      { kind: 'recheck', env: 'prod', at: NOW + 6 * MIN, reason: 'bbbbbbb soaks in staging until then' },
    ]);
    const later = decidePromotions(snapshot({ running, now: NOW + 6 * MIN }));
    expect(later).toEqual([
      {
        kind: 'open',
        env: 'prod',
        from: 'staging',
        tag: 'bbbbbbb',
        digest: undefined,
        previousTag: 'aaaaaaa',
      },
    ]);
  });

  it('updates the open PR in place when a newer candidate arrives, never opening a second one', () => {
    const actions = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'ccccccc', since: NOW },
          staging: { tag: 'aaaaaaa', since: 0 },
          prod: { tag: 'aaaaaaa', since: 0 },
        },
        open: [pr(7, 'staging', 'bbbbbbb')],
      }),
    );
    expect(actions).toEqual([
      {
        kind: 'update',
        number: 7,
        env: 'staging',
        from: 'dev',
        tag: 'ccccccc',
        digest: undefined,
        previousTag: 'aaaaaaa',
        soakingUntil: null,
      },
    ]);
  });

  it('is idempotent: a PR already carrying the candidate is kept as it is', () => {
    const actions = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'bbbbbbb', since: 0 },
          staging: { tag: 'aaaaaaa', since: 0 },
          prod: { tag: 'aaaaaaa', since: 0 },
        },
        open: [pr(7, 'staging', 'bbbbbbb')],
      }),
    );
    expect(actions).toEqual([{ kind: 'keep', number: 7, env: 'staging', soakingUntil: null }]);
  });

  it('closes a PR made obsolete because the environment already runs the candidate', () => {
    const actions = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'bbbbbbb', since: 0 },
          staging: { tag: 'bbbbbbb', since: 0 },
          prod: { tag: 'bbbbbbb', since: 0 },
        },
        open: [pr(7, 'staging', 'bbbbbbb')],
      }),
    );
    expect(actions).toEqual([
      { kind: 'close', number: 7, env: 'staging', reason: 'staging already runs bbbbbbb' },
    ]);
  });

  it('leaves a PR alone once someone else has committed to its branch', () => {
    const actions = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'ccccccc', since: 0 },
          staging: { tag: 'aaaaaaa', since: 0 },
          prod: { tag: 'aaaaaaa', since: 0 },
        },
        open: [pr(7, 'staging', 'bbbbbbb', true)],
      }),
    );
    expect(actions).toEqual([{ kind: 'hands-off', number: 7, env: 'staging' }]);
  });

  it('closes duplicates and keeps the newest PR should two ever be open', () => {
    const actions = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'bbbbbbb', since: 0 },
          staging: { tag: 'aaaaaaa', since: 0 },
          prod: { tag: 'aaaaaaa', since: 0 },
        },
        open: [pr(7, 'staging', 'bbbbbbb'), pr(9, 'staging', 'bbbbbbb')],
      }),
    );
    expect(actions).toEqual([
      { kind: 'close', number: 7, env: 'staging', reason: 'superseded by #9' },
      { kind: 'keep', number: 9, env: 'staging', soakingUntil: null },
    ]);
  });

  it('takes the newest push for an entry environment in pull-request mode', () => {
    const prSpec = PolicySpec.parse({
      ...spec,
      environments: [{ name: 'dev', path: 'dev', update: 'pull-request' }],
    });
    const actions = decidePromotions(
      snapshot({
        spec: prSpec,
        running: { dev: { tag: 'aaaaaaa', since: 0 } },
        pushed: { tag: 'ddddddd', at: NOW },
      }),
    );
    expect(actions).toEqual([
      {
        kind: 'open',
        env: 'dev',
        from: undefined,
        tag: 'ddddddd',
        digest: undefined,
        previousTag: 'aaaaaaa',
      },
    ]);
  });

  it('does nothing for an environment whose source runs nothing yet', () => {
    expect(decidePromotions(snapshot({ running: {} }))).toEqual([]);
  });

  it('updates the open PR when its tag is pushed again with a new digest', () => {
    const running = {
      dev: { tag: 'bbbbbbb', digest: NEW_DIGEST, since: 0 },
      staging: { tag: 'aaaaaaa', since: 0 },
      prod: { tag: 'aaaaaaa', since: 0 },
    };
    const repushed = decidePromotions(
      snapshot({ running, open: [pr(7, 'staging', 'bbbbbbb', false, { digest: OLD_DIGEST })] }),
    );
    expect(repushed).toEqual([
      {
        kind: 'update',
        number: 7,
        env: 'staging',
        from: 'dev',
        tag: 'bbbbbbb',
        digest: NEW_DIGEST,
        previousTag: 'aaaaaaa',
        soakingUntil: null,
      },
    ]);
    const same = decidePromotions(
      snapshot({ running, open: [pr(7, 'staging', 'bbbbbbb', false, { digest: NEW_DIGEST })] }),
    );
    expect(same).toEqual([{ kind: 'keep', number: 7, env: 'staging', soakingUntil: null }]);
  });

  it('opens an entry environment PR with the digest of the newest push', () => {
    const prSpec = PolicySpec.parse({
      ...spec,
      environments: [{ name: 'dev', path: 'dev', update: 'pull-request' }],
    });
    const actions = decidePromotions(
      snapshot({
        spec: prSpec,
        running: { dev: { tag: 'aaaaaaa', since: 0 } },
        pushed: { tag: 'ddddddd', digest: NEW_DIGEST, at: NOW },
      }),
    );
    expect(actions).toMatchObject([{ kind: 'open', env: 'dev', tag: 'ddddddd', digest: NEW_DIGEST }]);
  });

  it('never opens a PR for an environment updated by commit, whatever was pushed', () => {
    const actions = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'aaaaaaa', since: 0 },
          staging: { tag: 'aaaaaaa', since: 0 },
          prod: { tag: 'aaaaaaa', since: 0 },
        },
        pushed: { tag: 'ddddddd', at: NOW },
      }),
    );
    expect(actions).toEqual([]);
  });

  it('leaves rollback PRs to their own flow: neither kept, updated nor closed as duplicates', () => {
    const actions = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'ccccccc', since: 0 },
          staging: { tag: 'bbbbbbb', since: 0 },
          prod: { tag: 'bbbbbbb', since: 0 },
        },
        open: [pr(8, 'staging', 'aaaaaaa', false, { kind: 'rollback' }), pr(9, 'staging', 'bbbbbbb')],
      }),
    );
    expect(actions).toEqual([
      {
        kind: 'update',
        number: 9,
        env: 'staging',
        from: 'dev',
        tag: 'ccccccc',
        digest: undefined,
        previousTag: 'bbbbbbb',
        soakingUntil: null,
      },
    ]);
    const onlyRollback = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'ccccccc', since: 0 },
          staging: { tag: 'bbbbbbb', since: 0 },
          prod: { tag: 'bbbbbbb', since: 0 },
        },
        open: [pr(8, 'staging', 'aaaaaaa', false, { kind: 'rollback' })],
      }),
    );
    expect(onlyRollback).toMatchObject([{ kind: 'open', env: 'staging', tag: 'ccccccc' }]);
  });

  it('opens at once without a soak, even when the source says it landed later than now', () => {
    const actions = decidePromotions(
      snapshot({
        running: {
          dev: { tag: 'bbbbbbb', since: NOW + MIN },
          staging: { tag: 'aaaaaaa', since: 0 },
          prod: { tag: 'aaaaaaa', since: 0 },
        },
      }),
    );
    expect(actions).toEqual([
      {
        kind: 'open',
        env: 'staging',
        from: 'dev',
        tag: 'bbbbbbb',
        digest: undefined,
        previousTag: 'aaaaaaa',
      },
    ]);
  });

  it('never promotes from an environment the policy does not list, even when the deploy repo has it', () => {
    const unchecked: AppSnapshot['spec'] = {
      ...spec,
      environments: spec.environments.map((e) => (e.name === 'staging' ? { ...e, from: 'qa' } : e)),
    };
    const actions = decidePromotions(
      snapshot({
        spec: unchecked,
        running: {
          qa: { tag: 'bbbbbbb', since: 0 },
          staging: { tag: 'aaaaaaa', since: 0 },
          prod: { tag: 'aaaaaaa', since: 0 },
        },
      }),
    );
    expect(actions).toEqual([]);
  });
});
