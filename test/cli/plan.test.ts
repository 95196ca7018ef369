import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { planCommand } from '../../src/cli/plan.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';

const IMAGE = 'harbor.example.com/bootcamp/chat-ui';
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-ui
spec:
  template:
    spec:
      containers:
        - name: web
          image: "${IMAGE}:1a2b3c4" # pinned by promobot
          ports:
            - containerPort: 8080
        - name: worker
          image: ${IMAGE}-worker:1a2b3c4
`;
const KUSTOMIZATION =
  'resources:\r\n  - deployment.yaml\r\nimages:\r\n  - name: chat-ui\r\n    newName: harbor.example.com/bootcamp/chat-ui\r\n    newTag: 1a2b3c4\r\n';
const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - name: chat-ui
      image: ${IMAGE}
    - name: chat-api
      image: harbor.example.com/bootcamp/chat-api
      pinDigest: true
  environments:
    - { name: dev, path: '{{app}}/{{env}}', update: commit }
    - { name: staging, path: '{{app}}/{{env}}', update: pull-request, from: dev }
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function plan(cwd: string, ...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await planCommand.run(argv, {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: {},
    cwd,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function tempDir(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'promobot-plan-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function repo(files: Record<string, string>): TempRepo {
  const created = createTempRepo(files);
  cleanups.push(() => created.cleanup());
  return created;
}

describe('cli/plan', () => {
  it('prints the exact unified diff of every reference and leaves the files untouched', async () => {
    const dir = tempDir({
      'deployment.yaml': DEPLOYMENT,
      'kustomization.yaml': KUSTOMIZATION,
      'notes.txt': `${IMAGE}:1a2b3c4\n`,
    });
    const mtime = statSync(join(dir, 'deployment.yaml')).mtimeMs;

    const run = await plan(dir, '--repo', '.', '--image', `${IMAGE}:3f9c2ab`);

    expect(run).toEqual({
      code: 0,
      stderr: '',
      stdout: `diff --git a/deployment.yaml b/deployment.yaml
--- a/deployment.yaml
+++ b/deployment.yaml
@@ -7,7 +7,7 @@
     spec:
       containers:
         - name: web
-          image: "${IMAGE}:1a2b3c4" # pinned by promobot
+          image: "${IMAGE}:3f9c2ab" # pinned by promobot
           ports:
             - containerPort: 8080
         - name: worker
diff --git a/kustomization.yaml b/kustomization.yaml
--- a/kustomization.yaml
+++ b/kustomization.yaml
@@ -3,4 +3,4 @@
 images:\r
   - name: chat-ui\r
     newName: harbor.example.com/bootcamp/chat-ui\r
-    newTag: 1a2b3c4\r
+    newTag: 3f9c2ab\r
`,
    });
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(DEPLOYMENT);
    expect(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')).toBe(KUSTOMIZATION);
    expect(statSync(join(dir, 'deployment.yaml')).mtimeMs).toBe(mtime);
  });

  it('prints a diff git apply takes, giving exactly the changed files', async () => {
    const deploy = repo({
      'chat-ui/dev/deployment.yaml': DEPLOYMENT,
      'chat-ui/dev/kustomization.yaml': KUSTOMIZATION,
    });
    const run = await plan(deploy.work, '--repo', deploy.work, '--image', `${IMAGE}:3f9c2ab`);
    expect(git(deploy.work, 'status', '--porcelain')).toBe('');

    execFileSync('git', ['apply', '--whitespace=nowarn', '-'], {
      cwd: deploy.work,
      env: GIT_TEST_ENV,
      input: run.stdout,
    });

    expect(readFileSync(join(deploy.work, 'chat-ui/dev/deployment.yaml'), 'utf8')).toBe(
      DEPLOYMENT.replace(`"${IMAGE}:1a2b3c4"`, `"${IMAGE}:3f9c2ab"`),
    );
    expect(readFileSync(join(deploy.work, 'chat-ui/dev/kustomization.yaml'), 'utf8')).toBe(
      KUSTOMIZATION.replace('newTag: 1a2b3c4', 'newTag: 3f9c2ab'),
    );
  });

  it('says no change, with exit 0, when the tag is already there', async () => {
    const dir = tempDir({ 'deployment.yaml': DEPLOYMENT });
    const run = await plan(dir, '--repo', dir, '--image', `${IMAGE}:1a2b3c4`);
    expect(run).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^no change: .*already runs .*:1a2b3c4 \(1 references\)/),
    });
  });

  it('fails with exit 1 when nothing refers to the image', async () => {
    const dir = tempDir({ 'deployment.yaml': DEPLOYMENT });
    const run = await plan(dir, '--repo', dir, '--image', 'harbor.example.com/bootcamp/other:1a2b3c4');
    expect(run).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/no file under .* refers to/),
    });
  });

  it.each([
    { name: 'latest', tag: 'latest', reason: /"latest" is never written/ },
    { name: '..', tag: '..', reason: /outside the grammar/ },
    { name: '$(x)', tag: '$(x)', reason: /outside the grammar/ },
    { name: 'v1.2.3 (not a sha)', tag: 'v1.2.3', reason: /does not match the allow pattern/ },
    { name: 'of 10 KB', tag: 'a'.repeat(10_240), reason: /too long/ },
  ])('refuses the tag $name with exit 2 and a reason, printing no diff', async ({ tag, reason }) => {
    const dir = tempDir({ 'deployment.yaml': DEPLOYMENT });
    const run = await plan(dir, '--repo', dir, '--image', `${IMAGE}:${tag}`);
    expect(run).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(reason) });
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(DEPLOYMENT);
  });

  it('refuses an image given without a tag', async () => {
    const run = await plan(tmpdir(), '--repo', '.', '--image', IMAGE);
    expect(run).toMatchObject({ code: 2, stderr: expect.stringMatching(/has no tag/) });
  });

  it('explains its usage with exit 2 when an option is missing', async () => {
    const run = await plan(tmpdir(), '--image', `${IMAGE}:3f9c2ab`);
    expect(run).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--repo <dir> is required[\s\S]*usage: promobot plan/),
    });
  });

  it('reports a file that is not YAML and still plans the others', async () => {
    const dir = tempDir({ 'deployment.yaml': DEPLOYMENT, 'broken.yaml': `image: [${IMAGE}:1a2b3c4\n` });
    const run = await plan(dir, '--repo', dir, '--image', `${IMAGE}:3f9c2ab`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('+          image: "harbor.example.com/bootcamp/chat-ui:3f9c2ab"');
    expect(run.stderr).toMatch(/^skipped broken\.yaml: not valid YAML at line 2/);
  });

  describe('with a policy', () => {
    const tree = {
      'policy.yaml': POLICY,
      'deploy/chat-ui/dev/deployment.yaml': DEPLOYMENT,
      'deploy/chat-ui/staging/deployment.yaml': DEPLOYMENT,
    };

    it('plans only the entry environment by default, at its path from policy', async () => {
      const dir = tempDir(tree);
      const run = await plan(
        dir,
        '--repo',
        'deploy',
        '--policy',
        'policy.yaml',
        '--image',
        `${IMAGE}:3f9c2ab`,
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^diff --git a\/chat-ui\/dev\/deployment\.yaml b\/chat-ui\/dev\/deployment\.yaml\n/,
      );
      expect(run.stdout).not.toContain('staging');
    });

    it('plans the environment named by --env', async () => {
      const dir = tempDir(tree);
      const run = await plan(
        dir,
        '--repo',
        'deploy',
        '--policy',
        'policy.yaml',
        '--env',
        'staging',
        '--image',
        `${IMAGE}:3f9c2ab`,
      );
      expect(run.stdout).toMatch(/^diff --git a\/chat-ui\/staging\/deployment\.yaml/);
    });

    it('refuses an unknown environment or an image no app has, with exit 2', async () => {
      const dir = tempDir(tree);
      const unknownEnv = await plan(
        dir,
        '--repo',
        'deploy',
        '--policy',
        'policy.yaml',
        '--env',
        'qa',
        '--image',
        `${IMAGE}:3f9c2ab`,
      );
      expect(unknownEnv).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/unknown environment qa; policy\.yaml has dev, staging/),
      });
      const unknownApp = await plan(
        dir,
        '--repo',
        'deploy',
        '--policy',
        'policy.yaml',
        '--image',
        `${IMAGE}-worker:3f9c2ab`,
      );
      expect(unknownApp).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/no app in policy\.yaml has the image .*chat-ui-worker/),
      });
    });

    it('asks for the digest when the app pins digests', async () => {
      const dir = tempDir(tree);
      const run = await plan(
        dir,
        '--repo',
        'deploy',
        '--policy',
        'policy.yaml',
        '--image',
        'harbor.example.com/bootcamp/chat-api:3f9c2ab',
      );
      expect(run).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/chat-api pins digests: pass --image .*@sha256:<digest>/),
      });
    });

    it('writes repository:tag@digest for an app that pins digests', async () => {
      const digest = `sha256:${'e'.repeat(64)}`;
      const api = 'harbor.example.com/bootcamp/chat-api';
      const dir = tempDir({ ...tree, 'deploy/chat-api/dev/deployment.yaml': `image: ${api}:1a2b3c4\n` });
      const run = await plan(
        dir,
        '--repo',
        'deploy',
        '--policy',
        'policy.yaml',
        '--image',
        `${api}:3f9c2ab@${digest}`,
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`-image: ${api}:1a2b3c4\n+image: ${api}:3f9c2ab@${digest}\n`);
    });

    it('refuses an environment folder that does not exist', async () => {
      const dir = tempDir({ 'policy.yaml': POLICY, 'deploy/README.md': 'empty\n' });
      const run = await plan(
        dir,
        '--repo',
        'deploy',
        '--policy',
        'policy.yaml',
        '--image',
        `${IMAGE}:3f9c2ab`,
      );
      expect(run).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/environment dev: chat-ui\/dev is not a folder/),
      });
    });

    it('refuses a policy file the schema rejects', async () => {
      const dir = tempDir({
        ...tree,
        'policy.yaml': POLICY.replace('kind: PromotionPolicy', 'kind: Policy'),
      });
      const run = await plan(
        dir,
        '--repo',
        'deploy',
        '--policy',
        'policy.yaml',
        '--image',
        `${IMAGE}:3f9c2ab`,
      );
      expect(run).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(
          /not a valid PromotionPolicy:\n {2}policy\.yaml:2:7 kind: expected "PromotionPolicy"/,
        ),
      });
    });

    it('refuses an environment path that would leave the repo', async () => {
      const dir = tempDir({
        ...tree,
        'policy.yaml': POLICY.replace(
          "path: '{{app}}/{{env}}', update: commit",
          "path: '../../etc', update: commit",
        ),
      });
      const run = await plan(
        dir,
        '--repo',
        'deploy',
        '--policy',
        'policy.yaml',
        '--image',
        `${IMAGE}:3f9c2ab`,
      );
      expect(run).toMatchObject({
        code: 2,
        stdout: '',
        stderr: expect.stringMatching(/leaves the repo|without "\.\."/),
      });
    });
  });
});
