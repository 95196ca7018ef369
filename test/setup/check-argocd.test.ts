import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { validatePolicyFiles, type PromotionPolicy } from '../../src/policy/index.js';
import { renderApplicationName, verifiedApplications } from '../../src/policy/index.js';
import { checkArgoCd } from '../../src/hosts/argocd/doctor.js';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/index.js';

const SHA = '3f9c2ab00112233445566778899aabbccddeeff0';

function policies(verify: string | undefined): PromotionPolicy[] {
  const text = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - { name: chat-ui, image: harbor.example.com/bootcamp/chat-ui }
  environments:
    - name: dev
      path: "{{app}}/dev"
      update: commit
    - name: staging
      path: "{{app}}/staging"
      update: pull-request
      from: dev
${verify === undefined ? '' : `      verify: ${verify}\n`}`;
  const { policies: loaded, problems } = validatePolicyFiles([{ path: 'p.yaml', text }]);
  expect(problems).toEqual([]);
  return loaded;
}

let argocd: ArgoCdDouble;

beforeAll(async () => {
  argocd = await startArgoCdDouble();
  argocd.addApp({ name: 'chat-ui-staging', project: 'apps', revision: SHA, images: [] });
});

afterEach(() => {
  expect(argocd.violations).toEqual([]);
  expect(argocd.answerProblems).toEqual([]);
});

afterAll(async () => {
  await argocd.close();
});

describe('verifiedApplications', () => {
  it('renders each Application name template for each app and environment that verifies with Argo CD', () => {
    expect(renderApplicationName('{{app}}-{{env}}', { app: 'chat-ui', env: 'prod' })).toBe('chat-ui-prod');
    expect(
      verifiedApplications(
        policies('{ provider: argocd, applications: ["{{app}}-{{env}}", "{{app}}-workers"], project: apps }'),
      ),
    ).toEqual([
      { name: 'chat-ui-staging', project: 'apps', source: 'chat/staging/chat-ui' },
      { name: 'chat-ui-workers', project: 'apps', source: 'chat/staging/chat-ui' },
    ]);
    expect(verifiedApplications(policies('{ provider: none }'))).toEqual([]);
  });
});

describe('doctor: Argo CD', () => {
  it('skips when no policy verifies with Argo CD and ARGOCD_URL is not set', async () => {
    expect(await checkArgoCd(loadConfig({}), policies(undefined), 2000)).toEqual([
      {
        group: 'Argo CD',
        name: 'ARGOCD_URL',
        status: 'skip',
        detail: 'not set, and no policy verifies with Argo CD',
      },
    ]);
  });

  it('fails when a policy verifies with Argo CD but ARGOCD_URL is not set', async () => {
    const [check] = await checkArgoCd(loadConfig({}), policies('{ provider: argocd }'), 2000);
    expect(check).toMatchObject({
      name: 'ARGOCD_URL',
      status: 'fail',
      fix: expect.stringMatching(/ARGOCD_TOKEN/),
    });
  });

  it('passes when each Application exists and the token may read it', async () => {
    const token = argocd.addToken(['apps/*']);
    const config = loadConfig({ ARGOCD_URL: argocd.url, ARGOCD_TOKEN: token });
    expect(await checkArgoCd(config, policies('{ provider: argocd, project: apps }'), 2000)).toEqual([
      {
        group: 'Argo CD',
        name: 'chat-ui-staging',
        status: 'pass',
        detail: 'readable (Synced, Healthy), for chat/staging/chat-ui',
      },
    ]);
  });

  it('fails on a token without applications, get, and prints the RBAC line to add', async () => {
    const token = argocd.addToken(['other/*']);
    const config = loadConfig({ ARGOCD_URL: argocd.url, ARGOCD_TOKEN: token });
    const [check] = await checkArgoCd(config, policies('{ provider: argocd, project: apps }'), 2000);
    expect(check).toMatchObject({
      name: 'chat-ui-staging',
      status: 'fail',
      detail: expect.stringMatching(/^not readable with ARGOCD_TOKEN: .*403 permission denied/),
      fix: expect.stringContaining('p, role:promobot, applications, get, apps/*, allow'),
    });
  });

  it('fails on a missing Application, naming it (404 when the project is given)', async () => {
    const token = argocd.addToken(['apps/*']);
    const config = loadConfig({ ARGOCD_URL: argocd.url, ARGOCD_TOKEN: token });
    const [check] = await checkArgoCd(
      config,
      policies('{ provider: argocd, applications: ["{{app}}-{{env}}-typo"], project: apps }'),
      2000,
    );
    expect(check).toMatchObject({
      name: 'chat-ui-staging-typo',
      status: 'fail',
      detail: expect.stringContaining('applications.argoproj.io "chat-ui-staging-typo" not found'),
      fix: expect.stringContaining('Argo CD has no Application chat-ui-staging-typo in project apps'),
    });
  });

  it('fails on a missing Application without a project, saying Argo CD cannot tell it from a denial', async () => {
    const token = argocd.addToken(['apps/*']);
    const config = loadConfig({ ARGOCD_URL: argocd.url, ARGOCD_TOKEN: token });
    const [check] = await checkArgoCd(
      config,
      policies('{ provider: argocd, applications: [nowhere] }'),
      2000,
    );
    expect(check).toMatchObject({ status: 'fail', fix: expect.stringMatching(/set verify.project/) });
  });

  it('fails when Argo CD does not answer', async () => {
    const token = argocd.addToken(['apps/*']);
    const config = loadConfig({ ARGOCD_URL: argocd.url, ARGOCD_TOKEN: token });
    argocd.unreachable(true);
    try {
      const [check] = await checkArgoCd(config, policies('{ provider: argocd }'), 2000);
      expect(check).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^no answer: /) });
    } finally {
      argocd.unreachable(false);
    }
  });

  it('fails on an unreadable ARGOCD_CA_FILE', async () => {
    const config = loadConfig({
      ARGOCD_URL: argocd.url,
      ARGOCD_TOKEN: 'eyJ.a.b',
      ARGOCD_CA_FILE: '/nonexistent/ca.pem',
    });
    const [check] = await checkArgoCd(config, policies('{ provider: argocd }'), 2000);
    expect(check).toMatchObject({ name: 'ARGOCD_CA_FILE', status: 'fail' });
  });
});
