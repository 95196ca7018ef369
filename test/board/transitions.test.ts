import { describe, expect, it } from 'vitest';
import { boardTransitions, type AppBoard } from '../../src/board/index.js';
import { snapshotOf } from './fixtures.js';

const T0 = Date.UTC(2026, 11, 7, 8, 0, 0);
const NEW = '7777777eeeeeee';

/** chat-ui with dev and staging on NEW (staging since T0 + 30 min), prod on the old tag, a prod PR open. */
function before(): AppBoard {
  const board = snapshotOf('chat', 'chat-ui', NEW, T0 + 3_600_000);
  return {
    ...board,
    environments: [
      { env: 'dev', tag: NEW, since: T0 + 60_000, verification: null },
      { env: 'staging', tag: NEW, since: T0 + 1_800_000, verification: null },
      { env: 'prod', tag: '0000000aaaaaaa', since: T0 - 86_400_000, verification: null },
    ],
    history: [
      {
        env: 'dev',
        tag: NEW,
        since: T0 + 60_000,
        commit: null,
        endedBy: null,
        author: null,
        subject: null,
        trailers: {},
      },
    ],
    promotions: board.promotions.map((p) => ({
      ...p,
      status: 'awaiting-approval' as const,
      awaitingApprovalSince: T0 + 2_400_000,
    })),
    lastPush: { tag: NEW, at: T0 },
  };
}

function after(prodSince: number, promotions: AppBoard['promotions'] = []): AppBoard {
  const previous = before();
  return {
    ...previous,
    environments: previous.environments.map((e) =>
      e.env === 'prod' ? { env: 'prod', tag: NEW, since: prodSince, verification: null } : e,
    ),
    promotions,
    updatedAt: prodSince + 1_000,
  };
}

describe('board/boardTransitions()', () => {
  it('counts nothing for an app seen for the first time, so a restart never counts old landings', () => {
    expect(boardTransitions(null, before())).toEqual({ landings: [], closed: [] });
  });

  it('measures a landing from the image push, and the merged PR with its wait for approvals', () => {
    const landed = T0 + 3_600_000;
    expect(boardTransitions(before(), after(landed))).toEqual({
      landings: [{ env: 'prod', tag: NEW, leadSeconds: 3_600 }],
      closed: [{ env: 'prod', kind: 'promotion', outcome: 'merged', approvalWaitSeconds: 1_200 }],
    });
  });

  it('falls back to the tag arriving in the first environment when the push time is of another tag', () => {
    const next = { ...after(T0 + 3_600_000), lastPush: { tag: 'other', at: T0 } };
    expect(boardTransitions(before(), next).landings).toEqual([
      { env: 'prod', tag: NEW, leadSeconds: 3_540 },
    ]);
  });

  it('calls a PR gone without its tag landing closed, with no approval wait', () => {
    const previous = before();
    const next = { ...previous, promotions: [], updatedAt: T0 + 4_000_000 };
    expect(boardTransitions(previous, next)).toEqual({
      landings: [],
      closed: [{ env: 'prod', kind: 'promotion', outcome: 'closed', approvalWaitSeconds: null }],
    });
  });

  it('counts nothing when nothing changed', () => {
    expect(boardTransitions(before(), before())).toEqual({ landings: [], closed: [] });
  });
});
