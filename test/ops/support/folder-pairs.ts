import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The part of dependency-cruiser's JSON report that says who imports whom. */
interface CruiseReport {
  modules: { source: string; dependencies: { resolved: string }[] }[];
}

/** The top-level folder of `src/` a module is in (`promotion` for src/promotion/x/y.ts); null for src/main.ts. */
function folderOf(path: string): string | null {
  const parts = path.split('/');
  return parts[0] === 'src' && parts.length > 2 ? (parts[1] ?? null) : null;
}

/**
 * Every pair of top-level folders of `src/` that import each other (each, somewhere, imports the other), as
 * `a <-> b` with `a` before `b`, sorted. Type-only imports count: dependency-cruiser reads them too.
 */
export function twoWayFolderPairs(report: CruiseReport): string[] {
  const edges = new Set<string>();
  for (const module of report.modules) {
    const from = folderOf(module.source);
    if (from === null) continue;
    for (const dependency of module.dependencies) {
      const to = folderOf(dependency.resolved);
      if (to !== null && to !== from) edges.add(`${from} -> ${to}`);
    }
  }
  const pairs = new Set<string>();
  for (const edge of edges) {
    const [from, to] = edge.split(' -> ') as [string, string];
    if (edges.has(`${to} -> ${from}`)) pairs.add(from < to ? `${from} <-> ${to}` : `${to} <-> ${from}`);
  }
  return [...pairs].sort();
}

/** dependency-cruiser's report over `paths` (with the project's configuration), as JSON. */
export async function cruise(root: string, ...args: string[]): Promise<CruiseReport> {
  const { stdout } = await run(
    join(root, 'node_modules', '.bin', 'depcruise'),
    ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...args],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as CruiseReport;
}
