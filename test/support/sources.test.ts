import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTRACTS_DIR, FIXTURES_DIR } from './fixtures.js';

const ROOT = join(FIXTURES_DIR, '..', '..');

/** `sha256:` then lines of `<hex>  <path>`, as `sha256sum` prints them. */
function listedChecksums(dir: string): Map<string, string> {
  const text = readFileSync(join(dir, 'SOURCES.md'), 'utf8');
  const block = text.slice(text.indexOf('\nsha256:\n'));
  const listed = new Map<string, string>();
  for (const match of block.matchAll(/^ +([0-9a-f]{64}) {2}(\S+)$/gm)) listed.set(match[2]!, match[1]!);
  return listed;
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => path.split('\\').join('/'))
    .filter((path) => path !== 'SOURCES.md')
    .sort();
}

describe.each([
  ['test/fixtures', FIXTURES_DIR],
  ['test/contracts', CONTRACTS_DIR],
])('%s: copied byte for byte, every file listed in SOURCES.md', (_name, dir) => {
  const listed = listedChecksums(dir);

  it('lists every file it holds, and holds every file it lists', () => {
    expect(listed.size).toBeGreaterThan(0);
    expect([...listed.keys()].sort()).toEqual(filesBelow(dir));
  });

  it.each([...listed])('%s has the listed sha256', (path, sha256) => {
    const actual = createHash('sha256')
      .update(readFileSync(join(dir, path)))
      .digest('hex');
    expect(actual).toBe(sha256);
  });
});

describe('the repository stands on its own', () => {
  // A lone clone has nothing beside it: no code, test, double or benchmark may reach outside the repository.
  const SCANNED = ['src', 'test', 'bench', 'compose', 'manifests', 'webhooks', '.ci'];
  const OUTSIDE = /\.\.\/shared\b|['"]\.\.['"],\s*['"]shared['"]|\bSHARED_DIR\b/;

  it('reads no folder beside the repository', () => {
    const offenders: string[] = [];
    for (const top of SCANNED) {
      for (const path of readdirSync(join(ROOT, top), { recursive: true, encoding: 'utf8' })) {
        const full = join(ROOT, top, path);
        if (!statSync(full).isFile() || full === fileURLToPath(import.meta.url)) continue;
        if (/\.(json|jsonc|yaml|yml)$/.test(path) && full.startsWith(join(ROOT, 'test'))) continue;
        const text = readFileSync(full, 'utf8');
        text.split('\n').forEach((line, index) => {
          if (OUTSIDE.test(line)) offenders.push(`${relative(ROOT, full)}:${index + 1}: ${line.trim()}`);
        });
      }
    }
    expect(offenders).toEqual([]);
  });
});
