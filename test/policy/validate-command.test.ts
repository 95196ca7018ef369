import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateCommand } from '../../src/cli/validate.js';

function io(
  options: { env?: Record<string, string>; cwd?: string; config?: () => { policiesDir: string } } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (s: string) => void out.push(s),
      stderr: (s: string) => void err.push(s),
      ...options,
    },
  };
}

describe('cli/validate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promobot-validate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 on the worked example and sums it up', async () => {
    const run = io({ env: {} });
    expect(await validateCommand.run(['policies'], run.io)).toBe(0);
    expect(run.out.join('')).toBe('ok: 1 policy, 3 environments, 1 app\n');
  });

  it('prints every problem as file:line:column message, relative to the working directory, and exits 1', async () => {
    await writeFile(
      join(dir, 'chat.yaml'),
      `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - { name: chat-ui, image: harbor.example.com/bootcamp/chat-ui }
  environments:
    - name: dev
      path: chat-ui/dev
      update: commit
      autoMerge: true
    - name: prod
      path: chat-ui/prod
      update: pull-request
      from: staging
`,
    );
    await writeFile(join(dir, 'evil.yml'), 'spec: !!js/function "function () {}"\n');
    const run = io({ env: {}, cwd: dir });
    expect(await validateCommand.run(['.'], run.io)).toBe(1);
    expect(run.out.join('')).toBe(
      [
        'chat.yaml:12:7 spec.environments[0].autoMerge: only applies to update: pull-request ("dev" moves by commit)',
        'chat.yaml:16:13 spec.environments[1].from: "staging" is not an environment of this policy (dev, prod)',
        'evil.yml:1:7 tag !!js/function is not allowed',
        '3 problems in 2 files',
        '',
      ].join('\n'),
    );
  });

  it('reads the directory from PROMOBOT_POLICIES', async () => {
    const run = io({ env: { PROMOBOT_POLICIES: dir }, cwd: tmpdir() });
    expect(await validateCommand.run([], run.io)).toBe(1);
    expect(run.out.join('')).toMatch(
      /^promobot-validate-\w+:1:1 no policy files \(\*\.yaml, \*\.yml\) in this directory\n/,
    );
  });

  it('reads the directory from the configuration when the CLI gives no environment', async () => {
    const run = io({ config: () => ({ policiesDir: 'policies' }) });
    expect(await validateCommand.run([], run.io)).toBe(0);
  });

  it('exits 2 on a usage error', async () => {
    const run = io({ env: {} });
    expect(await validateCommand.run(['--frobnicate'], run.io)).toBe(2);
    expect(run.err.join('')).toMatch(/usage: promobot validate \[dir\]/);
  });
});
