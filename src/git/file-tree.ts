import { lstat, mkdir, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { PermanentError } from '../errors/index.js';
import { safeRelativePath } from './safe-path.js';

/**
 * The largest file promobot reads in a deploy repo: 1 MiB. Manifests, kustomizations and Helm values are a few KB;
 * a YAML parse needs many times a file's size in memory, so a 200 MB file would crash a worker under its 768Mi limit
 * again on every retry. A larger file is refused with {@link FileTooLargeError}, a permanent error naming it.
 */
export const MAX_DEPLOY_FILE_BYTES = 1024 * 1024;

/** A file in the deploy repo over {@link MAX_DEPLOY_FILE_BYTES}: promobot does not read it, and says which. */
export class FileTooLargeError extends PermanentError {
  constructor(
    readonly path: string,
    readonly bytes: number,
  ) {
    super(
      `${path} in the deploy repo has ${bytes} bytes; promobot reads files of up to ${MAX_DEPLOY_FILE_BYTES} bytes, so it changes nothing here until the file is smaller or moved out of the environment's folder`,
    );
    this.name = 'FileTooLargeError';
  }
}

/** The working copy as `apply` sees it: relative paths only, nothing outside the repo. */
export interface FileTree {
  /** UTF-8 content of a file, or null when there is none. */
  read(path: string): Promise<string | null>;
  /** Writes (creating folders); refuses to write through a symlink. */
  write(path: string, content: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Every file below `dir` (default: the whole tree), as sorted relative paths; `.git` is never listed. */
  list(dir?: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
}

/** A {@link FileTree} plus the paths it wrote, which are exactly what the commit stages. */
export interface TrackedFileTree extends FileTree {
  readonly touched: ReadonlySet<string>;
}

/**
 * A file tree rooted at a working copy. Paths pass {@link safeRelativePath}, and symlinks are resolved so none
 * leads outside the root.
 */
export async function createFileTree(root: string): Promise<TrackedFileTree> {
  const realRoot = await realpath(root);
  const touched = new Set<string>();
  const inside = (real: string) => real === realRoot || real.startsWith(realRoot + sep);
  const escape = (path: string) =>
    new PermanentError(`refused path ${JSON.stringify(path)}: a symlink leads outside the deploy repo`);

  /** The real location of the deepest existing ancestor must be inside the root. */
  const checkParents = async (rel: string) => {
    let dir = dirname(join(realRoot, rel));
    for (;;) {
      try {
        if (!inside(await realpath(dir))) throw escape(rel);
        return;
      } catch (error) {
        if (!isMissing(error)) throw error;
        dir = dirname(dir);
      }
    }
  };

  const resolveExisting = async (path: string): Promise<string | null> => {
    const rel = safeRelativePath(path);
    try {
      const real = await realpath(join(realRoot, rel));
      if (!inside(real)) throw escape(path);
      return real;
    } catch (error) {
      if (!isMissing(error)) throw error;
      // Missing is only an answer when the way to it stays inside: a link out of the repo is refused either way.
      await checkParents(rel);
      return null;
    }
  };

  return {
    touched,
    async read(path) {
      const real = await resolveExisting(path);
      if (real === null) return null;
      const { size } = await stat(real);
      if (size > MAX_DEPLOY_FILE_BYTES) throw new FileTooLargeError(safeRelativePath(path), size);
      return readFile(real, 'utf8');
    },
    async exists(path) {
      return (await resolveExisting(path)) !== null;
    },
    async write(path, content) {
      const rel = safeRelativePath(path);
      if (rel === '') throw new PermanentError('refused path "": not a file');
      await checkParents(rel);
      const full = join(realRoot, rel);
      const stat = await lstat(full).catch((error: unknown) =>
        isMissing(error) ? null : Promise.reject(error),
      );
      if (stat?.isSymbolicLink()) {
        throw new PermanentError(
          `refused path ${JSON.stringify(path)}: it is a symlink; write its target instead`,
        );
      }
      await mkdir(dirname(full), { recursive: true });
      await checkParents(rel);
      await writeFile(full, content);
      touched.add(rel);
    },
    async remove(path) {
      const rel = safeRelativePath(path);
      await checkParents(rel);
      await rm(join(realRoot, rel), { force: true });
      touched.add(rel);
    },
    async list(dir = '') {
      const rel = safeRelativePath(dir);
      const base = await resolveExisting(rel === '' ? '.' : rel);
      if (base === null) return [];
      const out: string[] = [];
      const walk = async (absolute: string, prefix: string): Promise<void> => {
        for (const entry of await readdir(absolute, { withFileTypes: true })) {
          if (prefix === '' && rel === '' && entry.name === '.git') continue;
          const relPath = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
          const child = join(absolute, entry.name);
          if (entry.isDirectory()) await walk(child, relPath);
          else if (entry.isFile()) out.push(relPath);
          else if (entry.isSymbolicLink()) {
            // Listed only when it resolves to a file inside the tree; a link out of the repo is not part of it.
            const real = await realpath(child).catch(() => null);
            if (real !== null && inside(real) && (await lstat(real)).isFile()) out.push(relPath);
          }
        }
      };
      await walk(base, rel);
      return out.sort();
    },
  };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
