import { describe, expect, it } from 'vitest';
import {
  GateState,
  describeGateState,
  initialGateState,
  nextGateState,
  nextRoundAt,
  plannedRounds,
  truncate,
  type GateStep,
} from '../../src/gates/rounds.js';
import type { Verdict } from '../../src/gates/evidence.js';

const MINUTE = 60_000;

/** The state as the next job reads it from Redis: through JSON and the schema. */
function readBack(state: GateState): GateState {
  return GateState.parse(JSON.parse(JSON.stringify(state)));
}

const gating = { interval: '1m', passes: 3, failureLimit: 2, maxInconclusive: '5m' };

/** Plays outcomes one interval apart from t=0 (one a minute by default) and returns every step. */
function play(
  outcomes: Verdict[],
  options: { roundTrip?: boolean; gating?: typeof gating } = {},
): GateStep[] {
  let state = initialGateState(options.gating ?? gating, 0);
  const interval = state.intervalMs;
  return outcomes.map((outcome, i) => {
    // Each round reads the state back as it would come from Redis.
    if (options.roundTrip) state = readBack(state);
    const step = nextGateState(state, { outcome, reason: `${outcome} #${i + 1}` }, (i + 1) * interval);
    state = step.state;
    return step;
  });
}

describe('gates/nextGateState()', () => {
  it('succeeds after `passes` passing rounds in a row, saying which round it is', () => {
    const steps = play(['pass', 'pass', 'pass']);

    expect(steps.map((s) => [s.status, s.description])).toEqual([
      ['pending', 'round 1 of 3: 1 of 3 passes in a row'],
      ['pending', 'round 2 of 3: 2 of 3 passes in a row'],
      ['success', 'gates passed 3 rounds in a row (round 3)'],
    ]);
    expect(steps.map((s) => s.done)).toEqual([false, false, true]);
  });

  it('restarts the run of passes after an inconclusive round: inconclusive never counts as pass', () => {
    const steps = play(['pass', 'pass', 'inconclusive', 'pass', 'pass', 'pass']);

    expect(steps[2]?.description).toBe(
      'round 3 of 6: 0 of 3 passes in a row; last inconclusive: inconclusive #3',
    );
    expect(steps.map((s) => s.status)).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
      'pending',
      'success',
    ]);
  });

  it('fails after `failureLimit` failing rounds, even when not consecutive', () => {
    const steps = play(['fail', 'pass', 'fail']);

    expect(steps.map((s) => s.status)).toEqual(['pending', 'pending', 'failure']);
    expect(steps[2]?.description).toBe('gates failed 2 of 3 rounds: fail #3');
  });

  it('fails once rounds have stayed inconclusive for maxInconclusive, saying why', () => {
    const steps = play([
      'pass',
      'inconclusive',
      'inconclusive',
      'inconclusive',
      'inconclusive',
      'inconclusive',
      'inconclusive',
    ]);

    expect(steps.map((s) => s.status)).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
      'pending',
      'pending',
      'failure',
    ]);
    expect(steps[6]?.description).toBe('gates inconclusive for 5m: inconclusive #7');
  });

  it('measures inconclusive time from the start of the current run only', () => {
    const steps = play([
      'inconclusive',
      'inconclusive',
      'inconclusive',
      'fail',
      'inconclusive',
      'inconclusive',
    ]);
    expect(steps.every((s) => s.status === 'pending')).toBe(true);
  });

  it('never changes a finished state', () => {
    const [, , done] = play(['pass', 'pass', 'pass']);
    const after = nextGateState(done!.state, { outcome: 'fail', reason: 'late' }, 10 * MINUTE);

    expect(after.state).toEqual(done!.state);
    expect(after).toMatchObject({ status: 'success', done: true });
  });

  it('ignores an outcome for a round already counted, so a retried job cannot count twice', () => {
    const first = nextGateState(
      initialGateState(gating, 0),
      { outcome: 'fail', reason: 'x', round: 1 },
      MINUTE,
    );
    const again = nextGateState(first.state, { outcome: 'fail', reason: 'x', round: 1 }, MINUTE + 5);

    expect(again.state).toEqual(first.state);
    expect(again.state.failures).toBe(1);
  });

  it('keeps a state that survives JSON, as it does in Redis', () => {
    const steps = play(['pass', 'inconclusive', 'pass', 'pass', 'pass'], { roundTrip: true });
    expect(steps.at(-1)?.status).toBe('success');
  });

  it('reads back a soak with a failing round and goes on counting after a restart', () => {
    const steps = play(['fail', 'pass', 'fail'], { roundTrip: true });

    expect(steps.map((s) => [s.status, s.state.failures])).toEqual([
      ['pending', 1],
      ['pending', 1],
      ['failure', 2],
    ]);
  });

  it('reads back a finished state, passed or failed, unchanged', () => {
    const [, , passed] = play(['pass', 'pass', 'pass']);
    const [, failed] = play(['fail', 'fail']);

    for (const done of [passed!.state, failed!.state]) expect(readBack(done)).toEqual(done);
    expect([passed!.state.status, failed!.state.status]).toEqual(['success', 'failure']);
  });

  it('refuses a stored state with a negative count or an unknown status', () => {
    const state = play(['fail'])[0]!.state;
    expect(GateState.safeParse({ ...state, failures: -1 }).success).toBe(false);
    expect(GateState.safeParse({ ...state, status: 'passed' }).success).toBe(false);
  });

  it('plans no more rounds once the soak is over, and the rest of the run while it lasts', () => {
    const steps = play(['pass', 'fail', 'fail']);
    expect(steps.map((s) => plannedRounds(s.state))).toEqual([3, 5, 3]);
  });

  it.each([
    [
      { interval: '15s', passes: 3, failureLimit: 2, maxInconclusive: '45s' },
      4,
      'gates inconclusive for 45s',
    ],
    [{ interval: '1m', passes: 3, failureLimit: 2, maxInconclusive: '1m' }, 2, 'gates inconclusive for 1m'],
    [
      { interval: '45s', passes: 3, failureLimit: 2, maxInconclusive: '90s' },
      3,
      'gates inconclusive for 1m30s',
    ],
  ])('fails when inconclusive for exactly maxInconclusive, saying how long (%o)', (rules, rounds, text) => {
    const steps = play(Array<Verdict>(rounds).fill('inconclusive'), { gating: rules });
    expect(steps.map((s) => s.status)).toEqual([...Array<string>(rounds - 1).fill('pending'), 'failure']);
    expect(steps.at(-1)?.description).toBe(`${text}: inconclusive #${rounds}`);
  });

  it('keeps the description within the 140 characters of a commit status', () => {
    const long = nextGateState(
      initialGateState(gating, 0),
      { outcome: 'inconclusive', reason: `error-rate: ${'model="x" '.repeat(40)}` },
      MINUTE,
    );
    expect([...long.description]).toHaveLength(140);
    expect(long.description.endsWith('…')).toBe(true);
  });

  it('says when the next round is due', () => {
    const state = initialGateState(gating, 1_000);
    expect(nextRoundAt(state)).toBe(1_000);
    expect(nextRoundAt(nextGateState(state, { outcome: 'pass', reason: '' }, 5_000).state)).toBe(
      5_000 + MINUTE,
    );
  });

  it('keeps a description of exactly 140 characters whole', () => {
    const exact = 'x'.repeat(140);
    expect(truncate(exact, 140)).toBe(exact);
    expect(truncate(`${exact}y`, 140)).toBe(`${'x'.repeat(139)}…`);
  });

  it('describes a stored state that lacks its conclusion or last outcome', () => {
    const base = initialGateState(gating, 0);
    expect(describeGateState({ ...base, round: 3, status: 'success' })).toBe('gates passed (round 3)');
    expect(describeGateState({ ...base, round: 2, status: 'failure' })).toBe('gates failed');
    expect(describeGateState({ ...base, round: 1 })).toBe(
      'round 1 of 4: 0 of 3 passes in a row; last round: ',
    );
  });

  it('describes the wait before the first round', () => {
    expect(
      nextGateState(initialGateState(gating, 0), { outcome: 'pass', reason: '', round: 7 }, 0).description,
    ).toBe('waiting for round 1 of 3');
  });
});
