import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cruise, twoWayFolderPairs } from './support/folder-pairs.js';

// The guardrails of ARCHITECTURE.md must bite: each is shown failing on a deliberate breach written into the
// linted tree (a folder under src/http, and two top-level folders of src/ that import each other, all removed
// afterwards), and passing on the tree as it is.

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

interface Outcome {
  code: number;
  output: string;
}

async function tool(name: string, args: string[], stdin?: string): Promise<Outcome> {
  const child = run(bin(name), args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : 2,
      output: `${failed.stdout}${failed.stderr}`,
    };
  }
}

const eslint = (...args: string[]) => tool('eslint', ['--no-warn-ignored', ...args]);
const depcruise = (...paths: string[]) =>
  tool('depcruise', ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...paths]);

const probeDir = join('src', 'http', `lint-probe-${randomBytes(4).toString('hex')}`);
/** Two top-level folders of src/ that import each other (no module cycle: four files, one way round each). */
const probeSuffix = randomBytes(4).toString('hex');
const pairDirs = [`lint-probe-${probeSuffix}-left`, `lint-probe-${probeSuffix}-right`] as const;

describe('lint guardrails', () => {
  beforeAll(async () => {
    await mkdir(join(root, probeDir, 'cycle'), { recursive: true });
    await mkdir(join(root, probeDir, 'reach'), { recursive: true });
    await writeFile(
      join(root, probeDir, 'cycle', 'a.ts'),
      "import { b } from './b.js';\n\nexport const a = (): number => b() + 1;\n",
    );
    await writeFile(
      join(root, probeDir, 'cycle', 'b.ts'),
      "import { a } from './a.js';\n\nexport const b = (): number => (a.length > 1 ? 1 : 0);\n",
    );
    // A direct import of git from http, and one that reaches scm only through another module.
    await writeFile(
      join(root, probeDir, 'reach', 'direct.ts'),
      "import { createDeployRepo } from '../../../git/index.js';\n\nexport const direct = createDeployRepo;\n",
    );
    await writeFile(
      join(root, probeDir, 'reach', 'through.ts'),
      "import { hop } from './hop.js';\n\nexport const through = hop;\n",
    );
    await writeFile(
      join(root, probeDir, 'reach', 'hop.ts'),
      "import { createScmHost } from '../../../hosts/index.js';\n\nexport const hop = createScmHost;\n",
    );
    // Of a host folder, http may import the webhook part and nothing else.
    await writeFile(
      join(root, probeDir, 'reach', 'host-hooks.ts'),
      "import { createGiteaHookClient } from '../../../hosts/gitea/hooks.js';\n\nexport const hooks = createGiteaHookClient;\n",
    );
    await writeFile(
      join(root, probeDir, 'reach', 'host-webhook.ts'),
      "import { giteaWebhook } from '../../../hosts/gitea/webhook.js';\n\nexport const webhook = giteaWebhook;\n",
    );
  });

  beforeAll(async () => {
    const [left, right] = pairDirs;
    for (const dir of pairDirs) await mkdir(join(root, 'src', dir), { recursive: true });
    await writeFile(join(root, 'src', left, 'leaf.ts'), 'export const leftLeaf = 1;\n');
    await writeFile(join(root, 'src', right, 'leaf.ts'), 'export const rightLeaf = 2;\n');
    await writeFile(
      join(root, 'src', left, 'uses-right.ts'),
      `import { rightLeaf } from '../${right}/leaf.js';\n\nexport const usesRight = rightLeaf;\n`,
    );
    await writeFile(
      join(root, 'src', right, 'uses-left.ts'),
      `import { leftLeaf } from '../${left}/leaf.js';\n\nexport const usesLeft = leftLeaf;\n`,
    );
  });

  afterAll(async () => {
    for (const dir of pairDirs) await rm(join(root, 'src', dir), { recursive: true, force: true });
    await rm(join(root, probeDir), { recursive: true, force: true });
  });

  it('eslint fails on a two-file import cycle, naming import/no-cycle', async () => {
    const result = await eslint(join(probeDir, 'cycle'));
    expect(result.code).toBe(1);
    expect(result.output).toContain('import/no-cycle');
    expect(result.output).toContain('a.ts');
    expect(result.output).toContain('b.ts');
  });

  it('the dependency report fails on the same cycle', async () => {
    const result = await depcruise(join(probeDir, 'cycle'));
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('no-circular');
  });

  it('eslint fails on http importing git', async () => {
    const result = await eslint(join(probeDir, 'reach', 'direct.ts'));
    expect(result.code).toBe(1);
    expect(result.output).toContain('import/no-restricted-paths');
  });

  it('the dependency report fails on http reaching git directly and scm through another module', async () => {
    const result = await depcruise(join(probeDir, 'reach'));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /http-not-to-git-or-scm: src\/http\/lint-probe-[0-9a-f]+\/reach\/direct\.ts/,
    );
    expect(result.output).toMatch(
      /http-not-to-git-or-scm: src\/http\/lint-probe-[0-9a-f]+\/reach\/through\.ts/,
    );
  });

  it("eslint and the dependency report fail on http importing a host's hook client, not its webhook", async () => {
    const direct = await eslint(join(probeDir, 'reach', 'host-hooks.ts'));
    expect(direct.code).toBe(1);
    expect(direct.output).toContain('import/no-restricted-paths');
    expect((await eslint(join(probeDir, 'reach', 'host-webhook.ts'))).code).toBe(0);
    const reached = await depcruise(join(probeDir, 'reach'));
    expect(reached.output).toMatch(
      /http-not-to-git-or-scm: src\/http\/lint-probe-[0-9a-f]+\/reach\/host-hooks\.ts/,
    );
    expect(reached.output).not.toMatch(/lint-probe-[0-9a-f]+\/reach\/host-webhook\.ts/);
  });

  it('eslint fails on a pure decider importing an effect', async () => {
    const decider = join('src', 'gates', 'evaluate.ts');
    const source = await readFile(join(root, decider), 'utf8');
    for (const effect of ['ioredis', 'node:child_process', 'bullmq', '@octokit/rest']) {
      const breached = await tool(
        'eslint',
        ['--stdin', '--stdin-filename', decider],
        `${source}\nimport '${effect}';\n`,
      );
      expect(breached.code, effect).toBe(1);
      expect(breached.output, effect).toContain('no-restricted-imports');
    }
    const clean = await tool('eslint', ['--stdin', '--stdin-filename', decider], source);
    expect(clean.output).toBe('');
    expect(clean.code).toBe(0);
  });

  it('the folder-direction check fails on two folders that import each other, with no module cycle', async () => {
    const [left, right] = pairDirs;
    const planted = await cruise(root, join('src', left), join('src', right));
    expect(twoWayFolderPairs(planted)).toEqual([`${left} <-> ${right}`]);
    // No module cycle: only the folder check sees it.
    const cycles = await depcruise(join('src', left), join('src', right));
    expect(cycles.output).toContain('no dependency violations found');
    // One way round is allowed.
    expect(twoWayFolderPairs(await cruise(root, join('src', left)))).toEqual([]);
  });

  it('the tree as it is has no cycle and no layer breach', async () => {
    // The probe folder exists while this file runs; everything else is the real tree.
    const result = await depcruise('--exclude', 'lint-probe-', 'src');
    expect(result.output).toContain('no dependency violations found');
    expect(result.code).toBe(0);
  });
});
