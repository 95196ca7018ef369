import { describe, expect, it } from 'vitest';
import type { TagRun } from '../../src/git/index.js';
import { chooseRollbackTarget } from '../../src/promotion/choose-rollback-target.js';

const run = (tag: string, since: number | null): TagRun => ({
  tag,
  since,
  commit: since === null ? null : `c${since}`,
  endedBy: null,
  author: null,
  subject: null,
  trailers: {},
});
// prod: 0a → 0b → 0c (merged) → 0b (reverted) → 1a2b3c4 by hand → 3f9c2ab by promobot. Newest first.
const runs = [
  run('3f9c2ab', 6),
  run('1a2b3c4', 5),
  run('0b', 4),
  run('0c', 3),
  run('0b', 2),
  run('0a', null),
];
const base = { app: 'chat-ui', env: 'prod', current: '3f9c2ab', runs };

describe('promotion/chooseRollbackTarget()', () => {
  it('returns to the last tag that ran before the current one, whoever wrote it', () => {
    expect(chooseRollbackTarget({ ...base, wanted: undefined })).toEqual({ tag: '1a2b3c4' });
  });

  it('returns to the tag before a revert brought the current one back', () => {
    // 0b runs again after a revert of 0c: the previous tag is 0c, not the older 0b.
    expect(chooseRollbackTarget({ ...base, current: '0b', runs: runs.slice(2), wanted: undefined })).toEqual({
      tag: '0c',
    });
  });

  it('accepts any tag that ran there, even one older than the depth limit', () => {
    expect(chooseRollbackTarget({ ...base, wanted: '0c' })).toEqual({ tag: '0c' });
    expect(chooseRollbackTarget({ ...base, wanted: '0a' })).toEqual({ tag: '0a' });
  });

  it('refuses a tag that never ran with the tags that did, newest first', () => {
    expect(chooseRollbackTarget({ ...base, wanted: 'fffffff' })).toEqual({
      refused:
        "fffffff never ran in prod (by the deploy repo's history): roll back only to a tag that did: 1a2b3c4, 0b, 0c, 0a",
    });
  });

  it('names at most ten tags and counts the rest', () => {
    const many = Array.from({ length: 14 }, (_, i) => run(`t${14 - i}`, 14 - i));
    const answer = chooseRollbackTarget({ ...base, current: 't14', runs: many, wanted: 'nope' });
    expect(answer).toEqual({
      refused:
        "nope never ran in prod (by the deploy repo's history): roll back only to a tag that did: t13, t12, t11, t10, t9, t8, t7, t6, t5, t4 and 3 older",
    });
  });

  it('refuses the tag already running, and a rollback with nothing before it', () => {
    expect(chooseRollbackTarget({ ...base, wanted: '3f9c2ab' })).toEqual({
      refused: 'prod already runs 3f9c2ab',
    });
    expect(chooseRollbackTarget({ ...base, runs: runs.slice(0, 1), wanted: undefined })).toEqual({
      refused: "no earlier tag of chat-ui ran in prod by the deploy repo's history (only 3f9c2ab)",
    });
    expect(chooseRollbackTarget({ ...base, runs: runs.slice(0, 1), wanted: '0a' })).toEqual({
      refused:
        "0a never ran in prod (by the deploy repo's history): roll back only to a tag that did; none but 3f9c2ab ever ran there",
    });
  });
});
