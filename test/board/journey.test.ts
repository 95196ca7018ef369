import { describe, expect, it } from 'vitest';
import { buildJourneys } from '../../src/board/journey.js';
import type { AppBoard, HistoryEntry } from '../../src/board/schema.js';
import { snapshotOf } from './fixtures.js';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const NEW = '2222222bbbbbbb';
const OLD = '1111111aaaaaaa';

const run = (env: string, tag: string, since: number, commit: string, extra: Partial<HistoryEntry> = {}) => ({
  env,
  tag,
  since,
  commit,
  endedBy: null,
  author: 'promobot <promobot@example.test>',
  subject: `${env} ${tag}`,
  trailers: {},
  ...extra,
});

describe('the journey of each candidate', () => {
  it('lines up push, dev, staging and prod with their times and who approved, newest candidate first', () => {
    const board: Pick<AppBoard, 'environments' | 'history' | 'lastPush' | 'promotions'> = {
      environments: snapshotOf('chat', 'chat-ui', NEW, T0).environments,
      promotions: [],
      lastPush: { tag: NEW, at: T0 },
      history: [
        run('dev', NEW, T0 + 60_000, 'd2'),
        run('dev', OLD, T0 - 90_000_000, 'd1', { endedBy: 'd2' }),
        run('staging', NEW, T0 + 600_000, 's2', { trailers: { 'Promobot-Approved-By': 'dave' } }),
        run('prod', OLD, T0 - 80_000_000, 'p1', { trailers: { 'Promobot-Approved-By': 'alice, bob' } }),
      ],
    };
    const journeys = buildJourneys(board);
    expect(journeys.map((j) => j.tag)).toEqual([NEW, OLD]);
    const [fresh, old] = journeys;
    expect(fresh!.pushedAt).toBe(T0);
    expect(fresh!.steps.map((s) => [s.env, s.state, s.at, s.approvedBy])).toEqual([
      ['dev', 'landed', T0 + 60_000, []],
      ['staging', 'landed', T0 + 600_000, ['dave']],
    ]);
    expect(old!.pushedAt).toBeNull();
    expect(old!.steps.map((s) => [s.env, s.approvedBy, s.replacedAt])).toEqual([
      ['dev', [], T0 + 60_000],
      ['prod', ['alice', 'bob'], null],
    ]);
  });

  it('shows the open promotion as the pending step, with its words and gate verdict, and keeps that verdict once it lands', () => {
    const open = snapshotOf('chat', 'chat-ui', NEW, T0);
    const pending = buildJourneys(open).find((j) => j.tag === NEW)!;
    const prod = pending.steps.find((s) => s.env === 'prod')!;
    expect(prod).toMatchObject({
      state: 'pending',
      at: null,
      gates: 'round 1, last pass',
      prUrl: open.promotions[0]!.pr.url,
      words: open.promotions[0]!.words,
    });

    const landed: AppBoard = {
      ...open,
      promotions: [],
      history: [
        ...open.history,
        run('prod', NEW, T0 + 7_200_000, 'p2', { trailers: { 'Promobot-Approved-By': 'alice' } }),
      ],
    };
    const after = buildJourneys(landed, [pending]).find((j) => j.tag === NEW)!;
    expect(after.steps.find((s) => s.env === 'prod')).toMatchObject({
      state: 'landed',
      at: T0 + 7_200_000,
      approvedBy: ['alice'],
      gates: 'round 1, last pass',
      prUrl: open.promotions[0]!.pr.url,
    });
  });

  it('marks where a rollback replaced the candidate, and the rollback step itself', () => {
    const board: Pick<AppBoard, 'environments' | 'history' | 'lastPush' | 'promotions'> = {
      environments: snapshotOf('chat', 'chat-ui', NEW, T0).environments,
      promotions: [],
      lastPush: null,
      history: [
        run('prod', OLD, T0 + 3_600_000, 'p3', { trailers: { 'Promobot-Rollback': NEW } }),
        run('prod', NEW, T0 + 1_800_000, 'p2', { endedBy: 'p3' }),
        run('prod', OLD, T0, 'p1', { endedBy: 'p2' }),
      ],
    };
    const journeys = buildJourneys(board);
    const fresh = journeys.find((j) => j.tag === NEW)!;
    expect(fresh.steps).toEqual([
      expect.objectContaining({ env: 'prod', rollback: false, rolledBackAt: T0 + 3_600_000 }),
    ]);
    const old = journeys.find((j) => j.tag === OLD)!;
    expect(old.steps.map((s) => [s.at, s.rollback, s.rolledBackAt])).toEqual([
      [T0, false, null],
      [T0 + 3_600_000, true, null],
    ]);
  });
});
