import { PermanentError } from '../errors/index.js';
import type { FileTree } from './file-tree.js';
import { safeRelativePath } from './safe-path.js';

/** One file an overlay changed: its text in the base (null when new) and after (null when removed). */
export interface OverlayChange {
  path: string;
  before: string | null;
  after: string | null;
}

/** A {@link FileTree} that reads through to a base and keeps every write to itself. */
export interface OverlayFileTree extends FileTree {
  /** What the writes came to against the base, sorted by path; a file written back unchanged is left out. */
  changes(): Promise<OverlayChange[]>;
}

/**
 * A read-only view of `base` that takes writes in memory: what `apply` would do to a working copy, without
 * touching it. Paths pass {@link safeRelativePath} as in the base, so the overlay refuses what the base refuses.
 */
export function createOverlayFileTree(base: FileTree): OverlayFileTree {
  /** path → text written, or null when removed. */
  const written = new Map<string, string | null>();
  const under = (path: string, dir: string) => dir === '' || path.startsWith(`${dir}/`);
  return {
    async read(path) {
      const rel = safeRelativePath(path);
      return written.has(rel) ? (written.get(rel) ?? null) : base.read(rel);
    },
    async exists(path) {
      const rel = safeRelativePath(path);
      return written.has(rel) ? written.get(rel) !== null : base.exists(rel);
    },
    async write(path, content) {
      const rel = safeRelativePath(path);
      if (rel === '') throw new PermanentError('refused path "": not a file');
      written.set(rel, content);
    },
    async remove(path) {
      written.set(safeRelativePath(path), null);
    },
    async list(dir = '') {
      const rel = safeRelativePath(dir);
      const paths = new Set(await base.list(rel === '' ? undefined : rel));
      for (const [path, text] of written) {
        if (!under(path, rel)) continue;
        if (text === null) paths.delete(path);
        else paths.add(path);
      }
      return [...paths].sort();
    },
    async changes() {
      const out: OverlayChange[] = [];
      for (const path of [...written.keys()].sort()) {
        const before = await base.read(path);
        const after = written.get(path) ?? null;
        if (before !== after) out.push({ path, before, after });
      }
      return out;
    },
  };
}
