import { describe, expect, it } from 'vitest';
import type { ArgoApplication } from '../../src/hosts/argocd/index.js';
import { decideRollout, revisionsToCheck, runsImage } from '../../src/rollout/index.js';

const OLD = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
const LANDING = '3f9c2ab00112233445566778899aabbccddeeff0';
const LATER = '9e8d7c6b5a49382716051f2e3d4c5b6a79881726';
const IMAGE = 'harbor.local/bootcamp/chat-ui:3f9c2ab';
const OLD_IMAGE = 'harbor.local/bootcamp/chat-ui:1a2b3c4';

/** Which revisions contain LANDING: itself and LATER (a descendant); OLD does not. */
const ANCESTRY = new Map([
  [LANDING, true],
  [LATER, true],
  [OLD, false],
]);

type Status = NonNullable<ArgoApplication['status']>;

/** Synced and Healthy at LANDING, running IMAGE, last sync Succeeded: verified unless `status` changes it. */
function app(status: Partial<Status> = {}): ArgoApplication {
  return {
    metadata: { name: 'chat-ui-staging', namespace: 'argocd' },
    spec: { project: 'apps' },
    status: {
      sync: { status: 'Synced', revision: LANDING },
      health: { status: 'Healthy' },
      operationState: {
        phase: 'Succeeded',
        message: 'successfully synced',
        syncResult: { revision: LANDING },
      },
      summary: { images: [IMAGE] },
      resources: [
        { kind: 'Deployment', name: 'chat-ui', namespace: 'chat-staging', health: { status: 'Healthy' } },
      ],
      ...status,
    },
  };
}

function decide(
  application: ArgoApplication,
  overrides: { candidateImage?: string; contains?: Map<string, boolean> } = {},
) {
  return decideRollout({
    environment: 'staging',
    app: application,
    candidateImage: overrides.candidateImage ?? IMAGE,
    landingCommit: LANDING,
    contains: overrides.contains ?? ANCESTRY,
  });
}

describe('decideRollout: verified', () => {
  it('is verified when Synced and Healthy at the landing commit, running the candidate', () => {
    expect(decide(app())).toEqual({ kind: 'verified', revision: LANDING });
  });

  it('is verified at a revision that descends from the landing commit', () => {
    const later = app({
      sync: { status: 'Synced', revision: LATER },
      operationState: { phase: 'Succeeded', syncResult: { revision: LATER } },
    });
    expect(decide(later)).toEqual({ kind: 'verified', revision: LATER });
  });

  it('is verified with no operation recorded at all (synced before Argo CD kept one)', () => {
    expect(decide(app({ operationState: undefined }))).toEqual({ kind: 'verified', revision: LANDING });
  });

  it('is verified for a multi-source Application when one source’s revision contains the commit', () => {
    const multi = app({
      sync: { status: 'Synced', revisions: ['8.1.0', LANDING] },
      operationState: { phase: 'Succeeded', syncResult: { revisions: ['8.1.0', LANDING] } },
    });
    expect(decide(multi)).toEqual({ kind: 'verified', revision: LANDING });
  });

  it('matches the candidate by digest when both the candidate and the running image carry one', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const pinned = app({ summary: { images: [`harbor.local/bootcamp/chat-ui:3f9c2ab@${digest}`] } });
    expect(decide(pinned, { candidateImage: `harbor.local/bootcamp/chat-ui@${digest}` }).kind).toBe(
      'verified',
    );
  });
});

describe('decideRollout: waiting, with the reason a person reads', () => {
  it('waits while OutOfSync, naming where Argo CD is and what it waits for', () => {
    const outOfSync = app({ sync: { status: 'OutOfSync', revision: OLD } });
    expect(decide(outOfSync)).toEqual({
      kind: 'waiting',
      reason: 'staging: Argo CD OutOfSync at 1a2b3c4, waiting for 3f9c2ab',
    });
  });

  it('waits while OutOfSync at the landing commit with a sync running', () => {
    const syncing = app({
      sync: { status: 'OutOfSync', revision: LANDING },
      operationState: { phase: 'Running', syncResult: { revision: LANDING } },
      health: { status: 'Progressing' },
    });
    expect(decide(syncing)).toEqual({
      kind: 'waiting',
      reason: 'staging: Argo CD OutOfSync at 3f9c2ab, sync running, waiting for 3f9c2ab',
    });
  });

  it('waits while the sync status is Unknown, and says the comparison error', () => {
    const unknown = app({
      sync: { status: 'Unknown', revision: '' },
      conditions: [{ type: 'ComparisonError', message: 'rpc error: repository not accessible' }],
    });
    const decision = decide(unknown);
    expect(decision.kind).toBe('waiting');
    expect(decision).toMatchObject({
      reason:
        'staging: Argo CD Unknown at no revision (ComparisonError: rpc error: repository not accessible), waiting for 3f9c2ab',
    });
  });

  it('treats a missing status as Unknown', () => {
    const bare: ArgoApplication = { metadata: { name: 'chat-ui-staging' } };
    expect(decide(bare)).toEqual({
      kind: 'waiting',
      reason: 'staging: Argo CD Unknown at no revision, waiting for 3f9c2ab',
    });
  });

  it('is not verified when Synced at an older revision than the landing commit', () => {
    const stale = app({
      sync: { status: 'Synced', revision: OLD },
      operationState: { phase: 'Succeeded', syncResult: { revision: OLD } },
      summary: { images: [OLD_IMAGE] },
    });
    expect(decide(stale)).toEqual({
      kind: 'waiting',
      reason: 'staging: Argo CD Synced at 1a2b3c4, which does not contain 3f9c2ab yet, waiting for 3f9c2ab',
    });
  });

  it('takes a revision whose ancestry is not known for one that does not contain the commit', () => {
    expect(decide(app(), { contains: new Map() }).kind).toBe('waiting');
  });

  it('is not verified for a multi-source Application when no source’s revision contains the commit', () => {
    const multi = app({ sync: { status: 'Synced', revisions: ['8.1.0', OLD] } });
    expect(decide(multi)).toMatchObject({
      kind: 'waiting',
      reason: expect.stringContaining('8.1.0, 1a2b3c4'),
    });
  });

  it('waits while the rollout is Progressing, with Argo CD’s health message', () => {
    const progressing = app({
      health: {
        status: 'Progressing',
        message: 'Waiting for rollout to finish: 1 old replicas are pending termination...',
      },
    });
    expect(decide(progressing)).toEqual({
      kind: 'waiting',
      reason:
        'staging: Argo CD Synced at 3f9c2ab, Progressing: Waiting for rollout to finish: 1 old replicas are pending termination..., waiting for Healthy',
    });
  });

  it('waits on Suspended and Missing health, naming the resource when there is no message', () => {
    const suspended = app({
      health: { status: 'Suspended' },
      resources: [
        {
          kind: 'Rollout',
          name: 'chat-ui',
          namespace: 'chat-staging',
          health: { status: 'Suspended', message: 'paused' },
        },
      ],
    });
    expect(decide(suspended)).toMatchObject({
      kind: 'waiting',
      reason:
        'staging: Argo CD Synced at 3f9c2ab, Suspended: Rollout chat-staging/chat-ui: Suspended (paused), waiting for Healthy',
    });
    expect(decide(app({ health: { status: 'Missing' } })).kind).toBe('waiting');
    expect(decide(app({ health: undefined })).kind).toBe('waiting');
  });

  it('waits while a sync operation runs, even when already Synced and Healthy', () => {
    const running = app({ operationState: { phase: 'Running', syncResult: { revision: LANDING } } });
    expect(decide(running)).toEqual({
      kind: 'waiting',
      reason: 'staging: Argo CD Synced at 3f9c2ab, sync Running, waiting for it to finish',
    });
    expect(decide(app({ operationState: { phase: 'Terminating' } })).kind).toBe('waiting');
  });

  it('is not verified when Healthy but the candidate image is not running (superseded or not yet rendered)', () => {
    const other = app({ summary: { images: [OLD_IMAGE, 'redis:7'] } });
    expect(decide(other)).toEqual({
      kind: 'waiting',
      reason: `staging: Argo CD Synced and Healthy at 3f9c2ab, but ${IMAGE} is not among its images (${OLD_IMAGE}, redis:7)`,
    });
    expect(decide(app({ summary: {} })).kind).toBe('waiting');
  });

  it('waits while a sync runs, even when Degraded meanwhile (a retry may still heal it)', () => {
    const retrying = app({
      health: { status: 'Degraded', message: 'pods crash' },
      operationState: { phase: 'Running', syncResult: { revision: LANDING } },
    });
    expect(decide(retrying).kind).toBe('waiting');
  });

  it('waits when Synced at the commit but the last sync (of an older revision) did not succeed', () => {
    const odd = app({
      operationState: { phase: 'Failed', message: 'hook failed', syncResult: { revision: OLD } },
    });
    expect(decide(odd)).toEqual({
      kind: 'waiting',
      reason: 'staging: Argo CD Synced at 3f9c2ab, but its last sync ended Failed: hook failed',
    });
  });

  it('waits when the last failed sync was of an older revision, not the candidate’s', () => {
    const olderFailed = app({
      sync: { status: 'OutOfSync', revision: LANDING },
      operationState: { phase: 'Failed', message: 'hook failed', syncResult: { revision: OLD } },
    });
    expect(decide(olderFailed).kind).toBe('waiting');
  });

  it('waits when an older revision is Degraded (the candidate is not to blame)', () => {
    const olderDegraded = app({
      sync: { status: 'OutOfSync', revision: OLD },
      health: { status: 'Degraded', message: 'old pods crash' },
    });
    expect(decide(olderDegraded).kind).toBe('waiting');
  });
});

describe('decideRollout: failed, with evidence', () => {
  it('fails when Degraded at a revision that contains the commit, with the health message and the resource', () => {
    const degraded = app({
      health: { status: 'Degraded', message: 'Deployment "chat-ui" exceeded its progress deadline' },
      resources: [
        { kind: 'Service', name: 'chat-ui', namespace: 'chat-staging', health: { status: 'Healthy' } },
        {
          kind: 'Deployment',
          name: 'chat-ui',
          namespace: 'chat-staging',
          health: { status: 'Degraded', message: 'exceeded its progress deadline' },
        },
      ],
    });
    expect(decide(degraded)).toEqual({
      kind: 'failed',
      reason: 'staging: Argo CD Degraded at 3f9c2ab: Deployment "chat-ui" exceeded its progress deadline',
      evidence: {
        syncMessage: 'successfully synced',
        healthMessage: 'Deployment "chat-ui" exceeded its progress deadline',
        resource: 'Deployment chat-staging/chat-ui: Degraded (exceeded its progress deadline)',
      },
    });
  });

  it('fails when Degraded without a message, naming the resource instead', () => {
    const degraded = app({
      health: { status: 'Degraded' },
      operationState: undefined,
      resources: [{ kind: 'StatefulSet', name: 'db', health: { status: 'Degraded' } }],
    });
    expect(decide(degraded)).toEqual({
      kind: 'failed',
      reason: 'staging: Argo CD Degraded at 3f9c2ab: StatefulSet db: Degraded',
      evidence: { resource: 'StatefulSet db: Degraded' },
    });
  });

  it.each(['Failed', 'Error'])(
    'fails when the sync of the candidate’s revision ended %s, with its message',
    (phase) => {
      const failed = app({
        sync: { status: 'OutOfSync', revision: LANDING },
        health: { status: 'Healthy' },
        operationState: {
          phase,
          message: 'one or more objects failed to apply, reason: admission webhook denied',
          syncResult: { revision: LANDING },
        },
      });
      expect(decide(failed)).toEqual({
        kind: 'failed',
        reason: `staging: Argo CD sync of 3f9c2ab ${phase.toLowerCase()}: one or more objects failed to apply, reason: admission webhook denied`,
        evidence: { syncMessage: 'one or more objects failed to apply, reason: admission webhook denied' },
      });
    },
  );

  it('fails on a failed sync without a syncResult, judged by the compared revision', () => {
    const failed = app({
      sync: { status: 'OutOfSync', revision: LANDING },
      operationState: { phase: 'Failed', message: 'PostSync hook failed' },
    });
    expect(decide(failed)).toMatchObject({
      kind: 'failed',
      evidence: { syncMessage: 'PostSync hook failed' },
    });
  });

  it('fails for a multi-source Application whose failed sync included the commit', () => {
    const failed = app({
      sync: { status: 'OutOfSync', revisions: ['8.1.0', LANDING] },
      operationState: { phase: 'Failed', message: 'boom', syncResult: { revisions: ['8.1.0', LANDING] } },
    });
    expect(decide(failed).kind).toBe('failed');
  });
});

describe('revisionsToCheck', () => {
  it('lists each source’s synced revision and the last sync’s, once each', () => {
    const multi = app({
      sync: { status: 'OutOfSync', revisions: ['8.1.0', LANDING] },
      operationState: { phase: 'Succeeded', syncResult: { revisions: ['8.1.0', OLD] } },
    });
    expect(revisionsToCheck(multi)).toEqual(['8.1.0', LANDING, OLD]);
    expect(revisionsToCheck({ metadata: { name: 'x' } })).toEqual([]);
  });
});

describe('runsImage', () => {
  it('matches repository and tag, with Docker Hub names normalized', () => {
    expect(runsImage(['nginx:1.27'], 'docker.io/library/nginx:1.27')).toBe(true);
    expect(runsImage([IMAGE], IMAGE)).toBe(true);
    expect(runsImage(['harbor.local/bootcamp/chat-ui:3f9c2ab0'], IMAGE)).toBe(false);
    expect(runsImage(['harbor.local/other/chat-ui:3f9c2ab'], IMAGE)).toBe(false);
    expect(runsImage([], IMAGE)).toBe(false);
  });

  it('compares digests when both sides have one', () => {
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    expect(
      runsImage([`harbor.local/bootcamp/chat-ui@${b}`], `harbor.local/bootcamp/chat-ui:3f9c2ab@${a}`),
    ).toBe(false);
  });
});
