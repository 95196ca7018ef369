import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/repo-root.js';

/** The package a bare import specifier names: `pino`, `@octokit/rest` from `@octokit/rest/dist/x`. */
const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');

/**
 * Packages that src/ loads at run time. `import type` and `export type` are erased by the compiler; every other
 * import stays in dist/ under `verbatimModuleSyntax`, even one whose names are all `type`-qualified.
 */
function runtimeImports(srcDir: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const text = readFileSync(join(srcDir, file), 'utf8');
    const specifiers = [
      ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
        (m) => m[1],
      ),
      ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]),
      ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]),
    ];
    for (const specifier of specifiers) {
      if (specifier === undefined || specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      const name = packageOf(specifier);
      found.set(name, [...(found.get(name) ?? []), file]);
    }
  }
  return found;
}

describe('the runtime image', () => {
  it('needs no dev dependency: every package src/ loads is a production dependency or a Node built-in', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const imports = runtimeImports(join(REPO_ROOT, 'src'));
    expect(imports.size).toBeGreaterThan(3);
    const missing = [...imports]
      .filter(([name]) => !allowed.has(name))
      .map(([name, files]) => `${name} (${files.join(', ')})`);
    // `npm ci --omit=dev` in the Dockerfile installs only `dependencies`: anything listed here crashes the image.
    expect(missing).toEqual([]);
  });
});
