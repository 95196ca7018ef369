import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPolicies } from '../../src/policy/index.js';

const policy = (name: string, app: string) => `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: ${name} }
spec:
  deployRepo: { scm: github, repo: acme/deploy }
  apps:
    - { name: ${app}, image: ghcr.io/acme/${app} }
  environments:
    - { name: dev, path: "{{app}}/{{env}}", update: commit }
`;

describe('policy/loadPolicies()', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promobot-policies-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validates the worked example in policies/', async () => {
    const { policies, problems } = await loadPolicies('policies');
    expect(problems).toEqual([]);
    expect(policies.map((p) => p.metadata.name)).toEqual(['chat']);
    expect(policies[0]?.spec.environments.map((e) => [e.name, e.update, e.from])).toEqual([
      ['dev', 'commit', undefined],
      ['staging', 'pull-request', 'dev'],
      ['prod', 'pull-request', 'staging'],
    ]);
  });

  it('reads every .yaml and .yml file, in name order, and nothing else', async () => {
    await writeFile(join(dir, 'b.yml'), policy('b', 'two'));
    await writeFile(join(dir, 'a.yaml'), policy('a', 'one'));
    await writeFile(join(dir, 'notes.txt'), 'not a policy');
    await writeFile(join(dir, 'schema.json'), '{}');
    const { policies, problems } = await loadPolicies(dir);
    expect(problems).toEqual([]);
    expect(policies.map((p) => p.metadata.name)).toEqual(['a', 'b']);
  });

  it('follows the symlinks of a Kubernetes ConfigMap volume and skips its hidden folders', async () => {
    await mkdir(join(dir, '..2024_01_01'));
    await writeFile(join(dir, '..2024_01_01', 'chat.yaml'), policy('chat', 'chat-ui'));
    await symlink('..2024_01_01', join(dir, '..data'));
    await symlink(join('..data', 'chat.yaml'), join(dir, 'chat.yaml'));
    const { policies, problems } = await loadPolicies(dir);
    expect(problems).toEqual([]);
    expect(policies.map((p) => p.metadata.name)).toEqual(['chat']);
  });

  it('reports each problem of a broken file with its file, line and column', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(
      file,
      `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: broken }
spec:
  deployRepo: { scm: gitlab, repo: acme/deploy }
  apps:
    - { name: web, image: ghcr.io/acme/web }
  environments:
    - name: dev
      path: web/dev
      update: commit
    - name: prod
      path: web/prod
      update: pull-request
      from: staging
      gates: [ttft-p95, latency]
`,
    );
    const { problems } = await loadPolicies(dir);
    expect(problems).toEqual([
      {
        file,
        line: 5,
        column: 22,
        message: 'spec.deployRepo.scm: expected one of "gitea", "github", got "gitlab"',
      },
    ]);

    // With the schema error fixed, the checks beyond the schema speak.
    await writeFile(file, (await readFile(file, 'utf8')).replace('gitlab', 'github'));
    expect((await loadPolicies(dir)).problems).toEqual([
      {
        file,
        line: 15,
        column: 13,
        message: 'spec.environments[1].from: "staging" is not an environment of this policy (dev, prod)',
      },
      {
        file,
        line: 16,
        column: 25,
        message:
          'spec.environments[1].gates[1]: unknown gate "latency": define it under spec.gates or use a preset',
      },
    ]);
  });

  it('reports an empty file rather than reading it as no policies', async () => {
    await writeFile(join(dir, 'a.yaml'), policy('a', 'one'));
    await writeFile(join(dir, 'b.yaml'), '# nothing yet\n');
    const { problems } = await loadPolicies(dir);
    expect(problems).toEqual([
      { file: join(dir, 'b.yaml'), line: 1, column: 1, message: 'the file holds no policy' },
    ]);
  });

  it('reports a directory without policy files', async () => {
    expect((await loadPolicies(dir)).problems).toEqual([
      { file: dir, line: 1, column: 1, message: 'no policy files (*.yaml, *.yml) in this directory' },
    ]);
  });

  it('reports a directory that does not exist', async () => {
    const missing = join(dir, 'missing');
    expect((await loadPolicies(missing)).problems).toEqual([
      { file: missing, line: 1, column: 1, message: 'cannot read the policies directory (ENOENT)' },
    ]);
  });
});
