import { describe, expect, it } from 'vitest';
import { namedBoards, openPromotionFigures } from '../../src/board/index.js';
import { policyWith, snapshotOf } from './fixtures.js';

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);

describe('board/openPromotionFigures()', () => {
  it('counts a promotion as waiting since its candidate reached the environment it comes from', () => {
    // The fixture's staging has run the candidate for 30 minutes.
    expect(openPromotionFigures([snapshotOf('chat', 'chat-ui', '7777777eeeeeee', NOW)], NOW)).toEqual([
      { policy: 'chat', app: 'chat-ui', env: 'prod', status: 'gating', waitingSeconds: 1_800 },
    ]);
  });

  it('falls back to when it was first seen waiting for approvals', () => {
    const board = snapshotOf('chat', 'chat-ui', '7777777eeeeeee', NOW);
    board.environments = board.environments.filter((e) => e.env !== 'staging');
    board.promotions[0]!.awaitingApprovalSince = NOW - 600_000;
    expect(openPromotionFigures([board], NOW)[0]!.waitingSeconds).toBe(600);
  });
});

describe('board/namedBoards()', () => {
  it('keeps only apps a policy in force names, sorted by app', () => {
    const boards = ['zeta', 'alpha', 'gone'].map((app) => snapshotOf('chat', app));
    expect(namedBoards(boards, [policyWith('chat', ['alpha', 'zeta'])]).map((b) => b.app)).toEqual([
      'alpha',
      'zeta',
    ]);
  });
});
