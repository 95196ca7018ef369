import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccessError, PermanentError, TransientError } from '../../src/errors/index.js';
import { createArgoCdClient } from '../../src/hosts/argocd/index.js';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/index.js';

const OLD = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
const NEW = '3f9c2ab00112233445566778899aabbccddeeff0';

let argocd: ArgoCdDouble;
let token: string;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  argocd = await startArgoCdDouble();
  token = argocd.addToken(['apps/chat-ui-*']);
  argocd.addApp({
    name: 'chat-ui-staging',
    project: 'apps',
    revision: OLD,
    images: ['harbor.local/bootcamp/chat-ui:1a2b3c4'],
  });
});

afterEach(() => {
  expect(argocd.violations).toEqual([]);
  expect(argocd.answerProblems).toEqual([]);
});

afterAll(async () => {
  await argocd.close();
});

describe('Argo CD client', () => {
  it('reads an Application, parsed', async () => {
    const client = createArgoCdClient({ url: `${argocd.url}/`, token });
    const app = await client.getApplication('chat-ui-staging');
    expect(app.metadata.name).toBe('chat-ui-staging');
    expect(app.status?.sync).toMatchObject({ status: 'Synced', revision: OLD });
    expect(app.status?.summary?.images).toEqual(['harbor.local/bootcamp/chat-ui:1a2b3c4']);
  });

  it('asks for a refresh with ?refresh=normal, and names the project', async () => {
    argocd.onRefresh('chat-ui-staging', (app) => {
      app.sync = { status: 'OutOfSync', revisions: [NEW] };
    });
    const client = createArgoCdClient({ url: argocd.url, token });
    const app = await client.getApplication('chat-ui-staging', { project: 'apps', refresh: true });
    expect(app.status?.sync).toMatchObject({ status: 'OutOfSync', revision: NEW });
    expect(argocd.refreshes('chat-ui-staging')).toEqual(['normal']);
    expect(argocd.requests.at(-1)?.query).toBe('?project=apps&refresh=normal');
    argocd.onRefresh('chat-ui-staging', undefined);
  });

  it('sends appNamespace for an Application outside Argo CD’s namespace', async () => {
    argocd.addApp({ name: 'chat-ui-dev', namespace: 'team-a', project: 'apps', revision: OLD, images: [] });
    const client = createArgoCdClient({ url: argocd.url, token: argocd.addToken(['apps/team-a/*']) });
    const app = await client.getApplication('chat-ui-dev', { appNamespace: 'team-a' });
    expect(app.metadata).toMatchObject({ name: 'chat-ui-dev', namespace: 'team-a' });
  });

  it('maps 401 to an AccessError about the token', async () => {
    const client = createArgoCdClient({ url: argocd.url, token: 'eyJ.forged.token' });
    const error = await rejection(client.getApplication('chat-ui-staging'));
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).capability).toBe('argocd-token');
    expect(error.message).toMatch(/401 invalid session/);
    expect((error as AccessError).advice).toMatch(/argocd account generate-token/);
  });

  it('maps 403 to an AccessError that gives the RBAC line for the project', async () => {
    const client = createArgoCdClient({ url: argocd.url, token: argocd.addToken(['other/*']) });
    const error = await rejection(client.getApplication('chat-ui-staging', { project: 'apps' }));
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).capability).toBe('argocd-applications-get');
    expect(error.message).toBe('Argo CD Application chat-ui-staging: 403 permission denied');
    expect((error as AccessError).advice).toContain('p, role:promobot, applications, get, apps/*, allow');
  });

  it('says that a 403 without a project may be a missing Application', async () => {
    const client = createArgoCdClient({ url: argocd.url, token });
    const error = await rejection(client.getApplication('chat-ui-nowhere'));
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).advice).toMatch(/also answers 403 when chat-ui-nowhere does not exist/);
  });

  it('maps 404 (a project was named) to a PermanentError that is not about access', async () => {
    const client = createArgoCdClient({ url: argocd.url, token });
    const error = await rejection(client.getApplication('chat-ui-nowhere', { project: 'apps' }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).not.toBeInstanceOf(AccessError);
    expect(error.message).toContain('applications.argoproj.io "chat-ui-nowhere" not found');
  });

  it('maps an unreachable Argo CD to a TransientError', async () => {
    argocd.unreachable(true);
    const client = createArgoCdClient({ url: argocd.url, token });
    const error = await rejection(client.getApplication('chat-ui-staging'));
    argocd.unreachable(false);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/is unreachable/);
  });

  it('maps a 503 from the ingress to a TransientError with its Retry-After', async () => {
    const ingress = createServer((_req, res) => {
      res.writeHead(503, { 'retry-after': '7', 'content-type': 'text/html' });
      res.end('<html>503 Service Temporarily Unavailable</html>');
    });
    const url = await listen(ingress);
    try {
      const error = await rejection(createArgoCdClient({ url, token }).getApplication('chat-ui-staging'));
      expect(error).toBeInstanceOf(TransientError);
      expect((error as TransientError).retryAfterMs).toBe(7000);
    } finally {
      ingress.close();
    }
  });

  it('refuses a 200 that is not an Application (an SSO page) as a PermanentError', async () => {
    const sso = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Sign in</html>');
    });
    const url = await listen(sso);
    try {
      const error = await rejection(createArgoCdClient({ url, token }).getApplication('chat-ui-staging'));
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).advice).toMatch(/ARGOCD_URL/);
    } finally {
      sso.close();
    }
  });

  it('never puts the token in an error', async () => {
    const echo = createServer((req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: `bad ${req.headers.authorization}`,
          code: 13,
          message: `bad ${req.headers.authorization}`,
        }),
      );
    });
    const url = await listen(echo);
    try {
      const error = await rejection(createArgoCdClient({ url, token }).getApplication('chat-ui-staging'));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).not.toContain(token);
    } finally {
      echo.close();
    }
  });
});

describe('Argo CD client over TLS', () => {
  let tls: ArgoCdDouble;
  let caFile: string;
  let tlsToken: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argocd-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    caFile = join(dir, 'cert.pem');
    tls = await startArgoCdDouble({
      tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(caFile, 'utf8') },
    });
    tlsToken = tls.addToken(['default/*']);
    tls.addApp({ name: 'chat-ui-prod', revision: OLD, images: [] });
  });

  afterAll(async () => {
    await tls.close();
  });

  it('trusts the CA given in caFile', async () => {
    const client = createArgoCdClient({ url: tls.url, token: tlsToken, caFile });
    expect((await client.getApplication('chat-ui-prod')).metadata.name).toBe('chat-ui-prod');
  });

  it('refuses a certificate it cannot verify, and says to set ARGOCD_CA_FILE', async () => {
    const client = createArgoCdClient({ url: tls.url, token: tlsToken });
    const error = await rejection(client.getApplication('chat-ui-prod'));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).advice).toMatch(/ARGOCD_CA_FILE/);
  });

  it('fails at once on a CA file it cannot read', () => {
    expect(() =>
      createArgoCdClient({ url: tls.url, token: tlsToken, caFile: '/nonexistent/ca.pem' }),
    ).toThrow(/cannot read ARGOCD_CA_FILE/);
  });
});
