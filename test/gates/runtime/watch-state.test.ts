import { describe, expect, it } from 'vitest';
import {
  initialWatchState,
  nextWatchState,
  watchCommitStatus,
  WatchState,
  type WatchState as WatchStateType,
} from '../../../src/gates/index.js';
import type { Verdict } from '../../../src/gates/index.js';

const gating = { interval: '1m', passes: 3, failureLimit: 2, maxInconclusive: '5m' };
const MINUTE = 60_000;

/** Plays one outcome a minute from t=0 through a 5-minute watch. */
function play(outcomes: Verdict[]): WatchStateType {
  let state = initialWatchState(gating, '5m', 0);
  outcomes.forEach((outcome, i) => {
    state = WatchState.parse(JSON.parse(JSON.stringify(state)));
    state = nextWatchState(state, { outcome, reason: `${outcome} #${i + 1}` }, (i + 1) * MINUTE);
  });
  return state;
}

describe('gates/nextWatchState()', () => {
  it('keeps watching until the watch ends, then calls it healthy', () => {
    expect(play(['pass', 'pass', 'pass', 'pass']).status).toBe('watching');
    const ended = play(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(ended.status).toBe('healthy');
    expect(ended.conclusion).toBe('healthy: 5 of 5 rounds passed');
  });

  it('fails after failureLimit failing rounds, even before the end', () => {
    const state = play(['pass', 'fail', 'pass', 'fail']);
    expect(state.status).toBe('failed');
    expect(state.conclusion).toBe('failed 2 of 4 rounds: fail #4');
    expect(watchCommitStatus(state).state).toBe('failure');
  });

  it('never calls a watch without one passing round healthy, nor rolls it back', () => {
    const state = play(['inconclusive', 'inconclusive', 'fail', 'inconclusive', 'inconclusive']);
    expect(state.status).toBe('inconclusive');
    expect(state.conclusion).toContain('no round was conclusive in 5');
    expect(watchCommitStatus(state).state).toBe('success');
  });

  it('does not change once finished', () => {
    const failed = play(['fail', 'fail']);
    expect(nextWatchState(failed, { outcome: 'pass', reason: 'late' }, 9 * MINUTE)).toEqual(failed);
  });

  it('keeps the commit status description within 140 characters', () => {
    const state = nextWatchState(
      initialWatchState({ ...gating, failureLimit: 1 }, '5m', 0),
      { outcome: 'fail', reason: 'x'.repeat(500) },
      MINUTE,
    );
    expect([...watchCommitStatus(state).description].length).toBeLessThanOrEqual(140);
  });
});
