import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors/index.js';
import { createFileTree, createOverlayFileTree } from '../../src/git/index.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'promobot-overlay-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('git/createOverlayFileTree()', () => {
  it('reads its own writes, lists them, and leaves the folder as it was', async () => {
    const root = folder({ 'a/one.yaml': 'one\n', 'a/two.yaml': 'two\n', 'b/three.yaml': 'three\n' });
    const tree = createOverlayFileTree(await createFileTree(root));

    await tree.write('a/one.yaml', 'ONE\n');
    await tree.write('./a/new.yaml', 'new\n');
    await tree.write('a/two.yaml', 'two\n');
    await tree.remove('b/three.yaml');

    expect(await tree.read('a/one.yaml')).toBe('ONE\n');
    expect(await tree.read('a/new.yaml')).toBe('new\n');
    expect(await tree.read('b/three.yaml')).toBeNull();
    expect(await tree.exists('b/three.yaml')).toBe(false);
    expect(await tree.list('a')).toEqual(['a/new.yaml', 'a/one.yaml', 'a/two.yaml']);
    expect(await tree.list()).toEqual(['a/new.yaml', 'a/one.yaml', 'a/two.yaml']);
    expect(await tree.changes()).toEqual([
      { path: 'a/new.yaml', before: null, after: 'new\n' },
      { path: 'a/one.yaml', before: 'one\n', after: 'ONE\n' },
      { path: 'b/three.yaml', before: 'three\n', after: null },
    ]);
    expect(readFileSync(join(root, 'a/one.yaml'), 'utf8')).toBe('one\n');
    expect(readdirSync(join(root, 'a')).sort()).toEqual(['one.yaml', 'two.yaml']);
    expect(readFileSync(join(root, 'b/three.yaml'), 'utf8')).toBe('three\n');
  });

  it('refuses the paths the working copy refuses', async () => {
    const tree = createOverlayFileTree(await createFileTree(folder({ 'a.yaml': 'a\n' })));
    await expect(tree.write('../escape.yaml', 'x')).rejects.toBeInstanceOf(PermanentError);
    await expect(tree.write('.git/hooks/pre-commit', 'x')).rejects.toBeInstanceOf(PermanentError);
    await expect(tree.read('/etc/passwd')).rejects.toBeInstanceOf(PermanentError);
    expect(await tree.changes()).toEqual([]);
  });
});
