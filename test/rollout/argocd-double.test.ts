import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/index.js';

const OLD = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
const NEW = '3f9c2ab00112233445566778899aabbccddeeff0';

/** The parts of an answer the tests read (an Application, or the gateway's error body). */
interface Answer {
  error?: string;
  code?: number;
  message?: string;
  metadata: { name: string };
  spec: { sources?: unknown[] };
  status: {
    sync: { status: string; revision?: string; revisions?: string[] };
    health: { status: string; message?: string };
    operationState: { phase: string; syncResult: { revision?: string; revisions?: string[] } };
    summary: { images: string[] };
    resources: unknown[];
  };
}

let argocd: ArgoCdDouble;
let token: string;

async function get(path: string, bearer: string | null = token) {
  const response = await fetch(`${argocd.url}${path}`, {
    headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` },
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

beforeAll(async () => {
  argocd = await startArgoCdDouble();
  token = argocd.addToken(['default/*', 'apps/chat-ui-*']);
});

afterEach(() => {
  expect(argocd.answerProblems).toEqual([]);
});

afterAll(async () => {
  await argocd.close();
});

describe('Argo CD double: the contract', () => {
  it('refuses a path the contract does not have, and records it', async () => {
    const before = argocd.violations.length;
    const { status, body } = await get('/api/v1/applications/x/nonsense');
    expect(status).toBe(400);
    expect(body.error).toMatch(/contract violation: no path in the contract matches/);
    expect(argocd.violations.length).toBe(before + 1);
    argocd.violations.splice(before);
  });

  it('refuses a query parameter the contract does not have', async () => {
    argocd.addApp({ name: 'contract-app', revision: OLD, images: [] });
    const before = argocd.violations.length;
    const { status } = await get('/api/v1/applications/contract-app?revision=main');
    expect(status).toBe(400);
    expect(argocd.violations.at(-1)).toMatch(/query parameter "revision" is not in the contract/);
    argocd.violations.splice(before);
  });

  it('answers an Application that matches v1alpha1Application', async () => {
    argocd.addApp({ name: 'shape', revision: OLD, images: ['harbor.local/bootcamp/chat-ui:1a2b3c4'] });
    const { status, body } = await get('/api/v1/applications/shape');
    expect(status).toBe(200);
    expect(body.metadata.name).toBe('shape');
    expect(body.status.sync).toMatchObject({ status: 'Synced', revision: OLD });
    expect(body.status.health).toEqual({ status: 'Healthy' });
    expect(body.status.summary.images).toEqual(['harbor.local/bootcamp/chat-ui:1a2b3c4']);
    expect(argocd.violations).toEqual([]);
  });
});

describe('Argo CD double: authentication and RBAC', () => {
  it('answers 401 "no session information" without a token', async () => {
    const { status, body } = await get('/api/v1/applications/shape', null);
    expect(status).toBe(401);
    expect(body).toEqual({ error: 'no session information', code: 16, message: 'no session information' });
  });

  it('takes a bearer that is not a JWT for no token at all', async () => {
    const { status, body } = await get('/api/v1/applications/shape', 'not-a-jwt');
    expect(status).toBe(401);
    expect(body.message).toBe('no session information');
  });

  it('answers 401 "invalid session" for a JWT it did not issue', async () => {
    const { status, body } = await get('/api/v1/applications/shape', 'a.b.c');
    expect(status).toBe(401);
    expect(body.message).toMatch(/^invalid session: /);
  });

  it('answers 403 "permission denied" to a token without applications, get on the app', async () => {
    const narrow = argocd.addToken(['apps/chat-ui-*']);
    argocd.addApp({ name: 'other', revision: OLD, images: [], project: 'default' });
    const { status, body } = await get('/api/v1/applications/other', narrow);
    expect(status).toBe(403);
    expect(body).toEqual({ error: 'permission denied', code: 7, message: 'permission denied' });
  });

  it('matches the RBAC object <project>/<namespace>/<app> for an Application outside argocd', async () => {
    argocd.addApp({ name: 'team-app', namespace: 'team-a', revision: OLD, images: [] });
    const onlyControlPlane = argocd.addToken(['default/team-app']);
    const withNamespace = argocd.addToken(['default/team-a/team-app']);
    expect((await get('/api/v1/applications/team-app?appNamespace=team-a', onlyControlPlane)).status).toBe(
      403,
    );
    expect((await get('/api/v1/applications/team-app?appNamespace=team-a', withNamespace)).status).toBe(200);
  });
});

describe('Argo CD double: a missing Application', () => {
  it('is 403 "permission denied" without a project, so that existence does not leak', async () => {
    const { status, body } = await get('/api/v1/applications/ghost');
    expect(status).toBe(403);
    expect(body.message).toBe('permission denied');
  });

  it('is 404 with the Kubernetes not-found message when the project is given and allowed', async () => {
    const { status, body } = await get('/api/v1/applications/ghost?project=default');
    expect(status).toBe(404);
    expect(body).toEqual({
      error: 'applications.argoproj.io "ghost" not found',
      code: 5,
      message: 'applications.argoproj.io "ghost" not found',
    });
  });

  it('is 403 when the given project is not allowed to the token', async () => {
    const { status } = await get('/api/v1/applications/ghost?project=secret');
    expect(status).toBe(403);
  });

  it('is 404 for an Application that lives in another project than the one given', async () => {
    argocd.addApp({ name: 'chat-ui-staging', project: 'apps', revision: OLD, images: [] });
    expect((await get('/api/v1/applications/chat-ui-staging?project=apps')).status).toBe(200);
    expect((await get('/api/v1/applications/chat-ui-staging?project=default')).status).toBe(404);
  });

  it('refuses more than one project with 400', async () => {
    const { status, body } = await get('/api/v1/applications/shape?projects=a&projects=b');
    expect(status).toBe(400);
    expect(body.code).toBe(3);
    expect(body.message).toMatch(/multiple projects specified/);
  });
});

describe('Argo CD double: the states of a rollout', () => {
  it('goes OutOfSync → Syncing → Synced at the new revision → Healthy', async () => {
    argocd.addApp({ name: 'flow', revision: OLD, images: ['chat-ui:1a2b3c4'] });
    argocd.outOfSync('flow', NEW);
    let app = (await get('/api/v1/applications/flow')).body;
    expect(app.status.sync).toMatchObject({ status: 'OutOfSync', revision: NEW });
    expect(app.status.summary.images).toEqual(['chat-ui:1a2b3c4']);

    argocd.startSync('flow');
    app = (await get('/api/v1/applications/flow')).body;
    expect(app.status.operationState.phase).toBe('Running');
    expect(app.status.health.status).toBe('Progressing');

    argocd.synced('flow', NEW, ['chat-ui:3f9c2ab']);
    app = (await get('/api/v1/applications/flow')).body;
    expect(app.status.sync).toMatchObject({ status: 'Synced', revision: NEW });
    expect(app.status.operationState).toMatchObject({ phase: 'Succeeded', syncResult: { revision: NEW } });
    expect(app.status.health.status).toBe('Progressing');
    expect(app.status.summary.images).toEqual(['chat-ui:3f9c2ab']);

    argocd.healthy('flow');
    app = (await get('/api/v1/applications/flow')).body;
    expect(app.status.health).toEqual({ status: 'Healthy' });
  });

  it('ends Degraded with the message and the unhealthy resource', async () => {
    argocd.addApp({ name: 'sick', revision: OLD, images: [] });
    argocd.synced('sick', NEW, ['chat-ui:3f9c2ab']);
    argocd.degraded('sick', 'Deployment "chat-ui" exceeded its progress deadline', {
      kind: 'Deployment',
      name: 'chat-ui',
      health: { status: 'Degraded', message: 'Deployment "chat-ui" exceeded its progress deadline' },
    });
    const app = (await get('/api/v1/applications/sick')).body;
    expect(app.status.health).toEqual({
      status: 'Degraded',
      message: 'Deployment "chat-ui" exceeded its progress deadline',
    });
    expect(app.status.resources).toContainEqual(
      expect.objectContaining({
        kind: 'Deployment',
        name: 'chat-ui',
        health: expect.objectContaining({ status: 'Degraded' }),
      }),
    );
  });

  it('reports a failed sync: operation Failed with its message, still OutOfSync', async () => {
    argocd.addApp({ name: 'broken', revision: OLD, images: [] });
    argocd.outOfSync('broken', NEW);
    argocd.syncFailed('broken', 'one or more objects failed to apply, reason: admission webhook denied');
    const app = (await get('/api/v1/applications/broken')).body;
    expect(app.status.sync.status).toBe('OutOfSync');
    expect(app.status.operationState).toMatchObject({
      phase: 'Failed',
      message: expect.stringMatching(/failed to apply/),
    });
  });

  it('keeps an old revision Synced until Argo CD sees the new commit', async () => {
    argocd.addApp({ name: 'stale', revision: OLD, images: ['chat-ui:1a2b3c4'] });
    const app = (await get('/api/v1/applications/stale')).body;
    expect(app.status.sync).toMatchObject({ status: 'Synced', revision: OLD });
  });

  it('answers status.sync.revisions (and no revision) for a multi-source Application', async () => {
    argocd.addApp({ name: 'multi', revision: OLD, images: [], sources: 2 });
    argocd.synced('multi', [NEW, 'helm-1'], ['chat-ui:3f9c2ab']);
    const app = (await get('/api/v1/applications/multi')).body;
    expect(app.status.sync.revisions).toEqual([NEW, 'helm-1']);
    expect(app.status.sync.revision).toBeUndefined();
    expect(app.spec.sources).toHaveLength(2);
    expect(app.status.operationState.syncResult.revisions).toEqual([NEW, 'helm-1']);
  });

  it('reconciles on ?refresh=normal before answering, and records the refresh', async () => {
    argocd.addApp({ name: 'refreshed', revision: OLD, images: [] });
    argocd.onRefresh('refreshed', (app) => {
      app.sync = { status: 'OutOfSync', revisions: [NEW] };
    });
    expect((await get('/api/v1/applications/refreshed')).body.status.sync.revision).toBe(OLD);
    expect(argocd.refreshes('refreshed')).toEqual([]);
    const app = (await get('/api/v1/applications/refreshed?refresh=normal')).body;
    expect(app.status.sync).toMatchObject({ status: 'OutOfSync', revision: NEW });
    expect(argocd.refreshes('refreshed')).toEqual(['normal']);
  });

  it('resets every connection while unreachable, and answers again after', async () => {
    argocd.unreachable(true);
    await expect(get('/api/v1/applications/shape')).rejects.toThrow();
    argocd.unreachable(false);
    expect((await get('/api/v1/applications/shape')).status).toBe(200);
  });
});
