import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CONTRACTS_DIR } from '../../support/fixtures.js';
import { createContract, type Contract } from '../openapi-contract.js';
import { swagger2ToOpenApi3 } from '../swagger2.js';

type Json = Record<string, unknown>;

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type OperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';

export interface DoubleResource {
  kind: string;
  name: string;
  namespace?: string;
  group?: string;
  status?: SyncStatus;
  health?: { status: HealthStatus; message?: string };
}

/** What the double keeps of one Application; rendered as `v1alpha1Application` on every GET. */
export interface DoubleApplication {
  name: string;
  /** The namespace the Application object lives in; `argocd` (the control plane's) unless told. */
  namespace: string;
  project: string;
  /** How many sources (`spec.sources`); more than one makes `status.sync.revisions` the answer. */
  sources: number;
  sync: { status: SyncStatus; revisions: string[] };
  health: { status: HealthStatus; message?: string };
  operation?: {
    phase: OperationPhase;
    message?: string;
    revisions: string[];
    startedAt: string;
    finishedAt?: string;
  };
  images: string[];
  resources: DoubleResource[];
  conditions: { type: string; message: string }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
}

export interface ArgoCdDouble {
  readonly url: string;
  /** Requests the contract does not allow; a test fails when this is not empty. */
  readonly violations: string[];
  /** Answers of the double that do not match the contract's response schemas (a bug in the double). */
  readonly answerProblems: string[];
  readonly requests: RecordedRequest[];
  /**
   * A local account's API token (a JWT, as `argocd account generate-token` gives) whose RBAC grants
   * `applications, get` on each of `allow`: `<project>/<app>` or, for an Application outside the control plane's
   * namespace, `<project>/<namespace>/<app>`; `*` matches any run of characters (Casbin's keyMatch / glob).
   */
  addToken(allow: string[]): string;
  /** Creates or replaces an Application: Synced and Healthy at `revision` unless `patch` says otherwise. */
  addApp(
    app: { name: string; revision: string; images: string[] } & Partial<DoubleApplication>,
  ): DoubleApplication;
  removeApp(name: string, namespace?: string): void;
  app(name: string, namespace?: string): DoubleApplication;
  /** Argo CD compared the new commit: OutOfSync at `revision` (the target it resolved), the live state unchanged. */
  outOfSync(name: string, revisions: string | string[]): void;
  /** An auto-sync started: operation Running, health Progressing. */
  startSync(name: string): void;
  /** The sync applied `revision(s)`: Synced, operation Succeeded, the new images live; health Progressing. */
  synced(name: string, revisions: string | string[], images: string[]): void;
  /** The rollout finished: health Healthy, or Degraded with a message and the resource that is unhealthy. */
  healthy(name: string): void;
  degraded(name: string, message: string, resource: DoubleResource): void;
  /** The sync failed: operation Failed with `message`, still OutOfSync. */
  syncFailed(name: string, message: string): void;
  /** `?refresh=` requests seen for the Application; `onRefresh` runs on each before the answer (Argo CD reconciles). */
  refreshes(name: string): string[];
  onRefresh(name: string, handler: ((app: DoubleApplication) => void) | undefined): void;
  /** While set, every connection is reset before an answer, as when Argo CD or its ingress is down. */
  unreachable(down: boolean): void;
  close(): Promise<void>;
}

/** The control plane's namespace; Applications elsewhere are named `<namespace>/<name>` in RBAC. */
const CONTROL_PLANE_NAMESPACE = 'argocd';

/** gRPC codes Argo CD's gateway puts in `code` (google.golang.org/grpc/codes). */
const CODE = { invalidArgument: 3, notFound: 5, permissionDenied: 7, unauthenticated: 16 } as const;

function loadContract(): Contract {
  const swagger = JSON.parse(readFileSync(join(CONTRACTS_DIR, 'argocd-swagger.v3.6.json'), 'utf8')) as Json;
  return createContract(swagger2ToOpenApi3(swagger));
}

/**
 * A stateful Argo CD API server (v3.6) for `GET /api/v1/applications/{name}`, the one call promobot makes: every
 * request is checked against test/contracts/argocd-swagger.v3.6.json (any path, method or query parameter the
 * contract lacks is refused with 400 and recorded in `violations`), and every answer against its response schema.
 *
 * What the real server does beyond the contract, from argoproj/argo-cd:
 * - Authentication (server/server.go `getClaims`): the token is taken from `Authorization: Bearer <jwt>` only when
 *   it has three dot-separated parts (util/jwt `IsValid`); none → 401 "no session information"
 *   (`ErrNoSession`, codes.Unauthenticated); a JWT it did not sign → 401 "invalid session: <reason>".
 * - Authorization (server/application/application.go `getAppEnforceRBAC`, `applications, get`): without a
 *   `project` query parameter a missing Application and one the token may not read give the same 403
 *   "permission denied" (common.PermissionDeniedAPIError), so existence does not leak; with `project=<p>`
 *   (or a single `projects`) the check is made on `<p>/<name>` first (403 when denied), then a missing Application
 *   is 404 `applications.argoproj.io "<name>" not found`, and so is one that exists in another project. More than
 *   one project is 400 "multiple projects specified - the get endpoint accepts either zero or one project".
 * - `?refresh=normal|hard` (application.go `Get`): Argo CD marks the Application for refresh and answers once the
 *   controller has reconciled it, so the answer already shows the new comparison.
 * - Error bodies are grpc-gateway v1's `errorBody`, the contract's `runtimeError`:
 *   `{"error": msg, "code": <grpc code>, "message": msg}`, with the HTTP status of the gRPC code
 *   (runtime.HTTPStatusFromCode: Unauthenticated 401, PermissionDenied 403, NotFound 404, InvalidArgument 400).
 */
export async function startArgoCdDouble(
  options: { tls?: { key: string; cert: string } } = {},
): Promise<ArgoCdDouble> {
  const contract = loadContract();
  const violations: string[] = [];
  const answerProblems: string[] = [];
  const requests: RecordedRequest[] = [];
  const tokens = new Map<string, string[]>();
  const apps = new Map<string, DoubleApplication>();
  const refreshLog = new Map<string, string[]>();
  const refreshHandlers = new Map<string, (app: DoubleApplication) => void>();
  let down = false;

  const key = (name: string, namespace = CONTROL_PLANE_NAMESPACE) => `${namespace}/${name}`;
  const get = (name: string, namespace?: string): DoubleApplication => {
    const app = apps.get(key(name, namespace));
    if (!app) throw new Error(`the Argo CD double has no Application ${name}`);
    return app;
  };
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const list = (revisions: string | string[]) => (Array.isArray(revisions) ? revisions : [revisions]);

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    handle(req, res);
  };
  const server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: unknown,
    check?: { template: string },
  ) {
    const url = new URL(req.url ?? '/', 'http://double');
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search, status });
    if (check) answerProblems.push(...contract.checkResponse(check.template, 'get', status, body));
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  function error(req: IncomingMessage, res: ServerResponse, status: number, code: number, message: string) {
    send(req, res, status, { error: message, code, message }, { template: '/api/v1/applications/{name}' });
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://double');
    const checked = contract.checkRequest({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      body: '',
    });
    if (!checked.ok) {
      violations.push(`${req.method} ${url.pathname}${url.search}: ${checked.problem}`);
      send(req, res, 400, { error: `contract violation: ${checked.problem}`, code: CODE.invalidArgument });
      return;
    }
    const { operation } = checked;
    if (operation.template !== '/api/v1/applications/{name}' || operation.method !== 'get') {
      violations.push(`${operation.method.toUpperCase()} ${operation.template}: not modelled by the double`);
      send(req, res, 501, { error: 'not modelled by the double', code: 12 });
      return;
    }

    // Authentication (server/server.go getClaims, util/jwt IsValid).
    const header = req.headers.authorization ?? '';
    const bearer = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const token = bearer.split('.').length >= 3 ? bearer : '';
    if (token === '') {
      error(req, res, 401, CODE.unauthenticated, 'no session information');
      return;
    }
    const allow = tokens.get(token);
    if (!allow) {
      error(
        req,
        res,
        401,
        CODE.unauthenticated,
        'invalid session: token signature is invalid: signature is invalid',
      );
      return;
    }

    // Authorization and existence (server/application/application.go Get, getAppEnforceRBAC).
    const name = operation.params.name ?? '';
    const namespace = url.searchParams.get('appNamespace') || CONTROL_PLANE_NAMESPACE;
    const projects = [...url.searchParams.getAll('project'), ...url.searchParams.getAll('projects')].filter(
      (p) => p !== '',
    );
    if (projects.length > 1) {
      error(
        req,
        res,
        400,
        CODE.invalidArgument,
        'multiple projects specified - the get endpoint accepts either zero or one project',
      );
      return;
    }
    const project = projects[0];
    const notFound = () =>
      error(req, res, 404, CODE.notFound, `applications.argoproj.io "${name}" not found`);
    const denied = () => error(req, res, 403, CODE.permissionDenied, 'permission denied');
    if (project !== undefined && !allows(allow, project, namespace, name)) {
      denied();
      return;
    }
    const app = apps.get(key(name, namespace));
    if (!app) {
      if (project !== undefined) notFound();
      else denied();
      return;
    }
    if (!allows(allow, app.project, namespace, name)) {
      if (project !== undefined) notFound();
      else denied();
      return;
    }
    if (project !== undefined && project !== app.project) {
      notFound();
      return;
    }

    const refresh = url.searchParams.get('refresh');
    if (refresh !== null) {
      const seen = refreshLog.get(key(name, namespace)) ?? [];
      seen.push(refresh);
      refreshLog.set(key(name, namespace), seen);
      refreshHandlers.get(key(name, namespace))?.(app);
    }
    send(req, res, 200, render(app), { template: '/api/v1/applications/{name}' });
  }

  function render(app: DoubleApplication): Json {
    const multi = app.sources > 1;
    const source = (i: number) => ({
      repoURL: 'https://gitea.example.com/bootcamp/notes-deploy.git',
      path: `chat-ui/${app.name}/${i}`,
      targetRevision: 'main',
    });
    const sources = Array.from({ length: app.sources }, (_, i) => source(i));
    const revisionFields = (revisions: string[]) =>
      multi ? { revisions } : { revision: revisions[0] ?? '' };
    const status: Json = {
      sync: {
        status: app.sync.status,
        ...revisionFields(app.sync.revisions),
        comparedTo: {
          destination: { server: 'https://kubernetes.default.svc', namespace: app.name },
          ...(multi ? { sources } : { source: source(0) }),
        },
      },
      health: { status: app.health.status, ...(app.health.message ? { message: app.health.message } : {}) },
      summary: { images: app.images },
      resources: app.resources.map((r) => ({
        version: 'v1',
        group: r.group ?? 'apps',
        kind: r.kind,
        name: r.name,
        namespace: r.namespace ?? app.name,
        status: r.status ?? app.sync.status,
        ...(r.health ? { health: r.health } : {}),
      })),
      conditions: app.conditions.map((c) => ({ ...c, lastTransitionTime: now() })),
      reconciledAt: now(),
      sourceType: 'Kustomize',
      controllerNamespace: CONTROL_PLANE_NAMESPACE,
    };
    if (app.operation) {
      status.operationState = {
        phase: app.operation.phase,
        ...(app.operation.message ? { message: app.operation.message } : {}),
        startedAt: app.operation.startedAt,
        ...(app.operation.finishedAt ? { finishedAt: app.operation.finishedAt } : {}),
        operation: { sync: { ...revisionFields(app.operation.revisions) } },
        syncResult: {
          ...revisionFields(app.operation.revisions),
          ...(multi ? { sources } : { source: source(0) }),
        },
      };
    }
    return {
      metadata: {
        name: app.name,
        namespace: app.namespace,
        uid: `uid-${app.name}`,
        resourceVersion: String(requests.length + 1),
        generation: 1,
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: {
        project: app.project,
        destination: { server: 'https://kubernetes.default.svc', namespace: app.name },
        ...(multi ? { sources } : { source: source(0) }),
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
      status,
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    violations,
    answerProblems,
    requests,
    addToken(allow) {
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const token = [
        part({ alg: 'HS256', typ: 'JWT' }),
        part({ iss: 'argocd', sub: 'promobot:apiKey', jti: randomBytes(8).toString('hex') }),
        randomBytes(32).toString('base64url'),
      ].join('.');
      tokens.set(token, allow);
      return token;
    },
    addApp(input) {
      const { revision, ...rest } = input;
      const sources = input.sources ?? 1;
      const revisions = Array.from({ length: sources }, (_, i) => (i === 0 ? revision : `helm-${i}`));
      const app: DoubleApplication = {
        namespace: CONTROL_PLANE_NAMESPACE,
        project: 'default',
        sources,
        sync: { status: 'Synced', revisions },
        health: { status: 'Healthy' },
        resources: [
          { kind: 'Deployment', name: input.name, health: { status: 'Healthy' } },
          { kind: 'Service', name: input.name, group: '' },
        ],
        conditions: [],
        ...rest,
      };
      apps.set(key(app.name, app.namespace), app);
      return app;
    },
    removeApp(name, namespace) {
      apps.delete(key(name, namespace));
    },
    app: get,
    outOfSync(name, revisions) {
      const app = get(name);
      app.sync = { status: 'OutOfSync', revisions: list(revisions) };
    },
    startSync(name) {
      const app = get(name);
      app.operation = {
        phase: 'Running',
        message: 'one or more tasks are running',
        revisions: app.sync.revisions,
        startedAt: now(),
      };
      app.health = { status: 'Progressing' };
    },
    synced(name, revisions, images) {
      const app = get(name);
      app.sync = { status: 'Synced', revisions: list(revisions) };
      app.operation = {
        phase: 'Succeeded',
        message: 'successfully synced (all tasks run)',
        revisions: list(revisions),
        startedAt: app.operation?.startedAt ?? now(),
        finishedAt: now(),
      };
      app.images = images;
      app.health = {
        status: 'Progressing',
        message: 'Waiting for rollout to finish: 1 old replicas are pending termination...',
      };
    },
    healthy(name) {
      const app = get(name);
      app.health = { status: 'Healthy' };
      app.resources = app.resources.map((r) => (r.health ? { ...r, health: { status: 'Healthy' } } : r));
    },
    degraded(name, message, resource) {
      const app = get(name);
      app.health = { status: 'Degraded', message };
      app.resources = [
        ...app.resources.filter((r) => !(r.kind === resource.kind && r.name === resource.name)),
        resource,
      ];
    },
    syncFailed(name, message) {
      const app = get(name);
      app.operation = {
        phase: 'Failed',
        message,
        revisions: app.sync.revisions,
        startedAt: app.operation?.startedAt ?? now(),
        finishedAt: now(),
      };
      app.sync = { ...app.sync, status: 'OutOfSync' };
    },
    refreshes(name) {
      return refreshLog.get(key(name)) ?? [];
    },
    onRefresh(name, handler) {
      if (handler) refreshHandlers.set(key(name), handler);
      else refreshHandlers.delete(key(name));
    },
    unreachable(value) {
      down = value;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Casbin's glob match of the RBAC object, as Argo CD's default `globMatch` matcher does for `applications`. */
function allows(allow: readonly string[], project: string, namespace: string, name: string): boolean {
  const object =
    namespace === CONTROL_PLANE_NAMESPACE ? `${project}/${name}` : `${project}/${namespace}/${name}`;
  return allow.some((pattern) => globToRegex(pattern).test(object));
}

function globToRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
