import { describe, expect, it } from 'vitest';
import { judgeVerification, type ApplicationAnswer } from '../../src/rollout/index.js';

const MIN = 60_000;
const verified: ApplicationAnswer = {
  application: 'chat-ui-staging',
  decision: { kind: 'verified', revision: 'abc' },
};
const waiting: ApplicationAnswer = {
  application: 'chat-ui-staging',
  decision: { kind: 'waiting', reason: 'staging: Argo CD OutOfSync at 1a2b3c4, waiting for 3f9c2ab' },
};
const failed: ApplicationAnswer = {
  application: 'chat-ui-workers-staging',
  decision: {
    kind: 'failed',
    reason: 'staging: Argo CD Degraded at 3f9c2ab: exceeded its progress deadline',
    evidence: { healthMessage: 'exceeded its progress deadline' },
  },
};
const down: ApplicationAnswer = {
  application: 'chat-ui-staging',
  error: { message: 'Argo CD at https://argocd.example.com is unreachable: ECONNREFUSED' },
};

function round(answers: ApplicationAnswer[], overrides: { elapsedMs?: number; attempt?: number } = {}) {
  return judgeVerification({
    environment: 'staging',
    answers,
    startedAtMs: 1_000_000,
    nowMs: 1_000_000 + (overrides.elapsedMs ?? 0),
    timeoutMs: 15 * MIN,
    attempt: overrides.attempt ?? 0,
  });
}

describe('judgeVerification', () => {
  it('is verified only when every Application is verified', () => {
    expect(round([verified, { ...verified, application: 'chat-ui-workers-staging' }])).toEqual({
      state: 'verified',
    });
    expect(round([verified, waiting]).state).toBe('waiting');
  });

  it('fails as soon as one Application fails, with its evidence', () => {
    expect(round([waiting, failed])).toEqual({
      state: 'failed',
      reason: 'staging: Argo CD Degraded at 3f9c2ab: exceeded its progress deadline',
      evidence: { healthMessage: 'exceeded its progress deadline' },
    });
  });

  it('waits with the reasons, polling again with backoff up to a minute', () => {
    expect(round([waiting])).toEqual({
      state: 'waiting',
      reason: 'staging: Argo CD OutOfSync at 1a2b3c4, waiting for 3f9c2ab',
      retryInMs: 5_000,
    });
    expect(round([waiting], { attempt: 2 })).toMatchObject({ retryInMs: 20_000 });
    expect(round([waiting], { attempt: 50 })).toMatchObject({ retryInMs: 60_000 });
  });

  it('never polls past the deadline', () => {
    expect(round([waiting], { elapsedMs: 15 * MIN - 3_000, attempt: 5 })).toMatchObject({ retryInMs: 3_000 });
  });

  it('never passes while Argo CD cannot be asked, and says why with the fix', () => {
    expect(round([{ ...down, error: { ...down.error, advice: 'check ARGOCD_URL' } }])).toEqual({
      state: 'waiting',
      reason:
        'staging: Argo CD could not be asked about chat-ui-staging: Argo CD at https://argocd.example.com is unreachable: ECONNREFUSED (check ARGOCD_URL)',
      retryInMs: 5_000,
    });
  });

  it('fails after the timeout with the last reasons, Argo CD down for the whole window included', () => {
    expect(round([down], { elapsedMs: 15 * MIN })).toEqual({
      state: 'failed',
      reason:
        'staging: not verified within 15m: staging: Argo CD could not be asked about chat-ui-staging: Argo CD at https://argocd.example.com is unreachable: ECONNREFUSED',
      evidence: {},
    });
    expect(round([verified], { elapsedMs: 20 * MIN })).toEqual({ state: 'verified' });
  });

  it('does not take an empty round for verified', () => {
    expect(round([])).toMatchObject({ state: 'waiting', reason: 'staging: no Application to verify' });
  });
});
