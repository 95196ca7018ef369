import type { FileTree } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import { isYamlPath, updateTree, type ImageChange } from '../updaters/index.js';
import { toImageChange, type EnvironmentChange } from './candidate-commit.js';

export { EnvironmentChange, commitForChanges, toImageChange } from './candidate-commit.js';

/** What one change did to the tree. */
export interface AppliedChange {
  change: EnvironmentChange;
  /** The tag the environment ran before (from the first changed value), null when unknown. */
  previousTag: string | null;
  files: string[];
  /** References found (changed or already current); 0 means the path does not mention the image at all. */
  references: number;
  /** What the updaters left undone, one line each: `skipped <file>: <reason>`, or `<file>: <problem>`. */
  problems: string[];
}

/**
 * Applies every change to the files under its environment's folder. Returns what each did; files are written
 * through `tree` only when their text changes.
 */
export async function applyImageChanges(
  tree: FileTree,
  changes: readonly EnvironmentChange[],
  logger: Logger,
): Promise<AppliedChange[]> {
  const applied: AppliedChange[] = [];
  for (const change of changes) {
    const result = await applyImageChange(tree, change.path, toImageChange(change));
    if (result.references === 0) {
      logger.warn(
        { app: change.app, env: change.env, path: change.path },
        'no reference to the image under the environment path',
      );
    }
    applied.push({ change, ...result });
  }
  return applied;
}

/** Moves every reference to the image under `folder` to the change's tag, writing only files whose text changes. */
export async function applyImageChange(
  tree: FileTree,
  folder: string,
  change: ImageChange,
): Promise<Omit<AppliedChange, 'change'>> {
  const files = new Map<string, string>();
  for (const path of await tree.list(folder === '' ? undefined : folder)) {
    if (!isYamlPath(path)) continue;
    const text = await tree.read(path);
    if (text !== null) files.set(path, text);
  }
  const update = updateTree(files, change);
  for (const file of update.changed) await tree.write(file.path, file.text);
  const firstEdit = update.changed[0]?.edits[0];
  return {
    previousTag: firstEdit ? tagOf(firstEdit.before) : null,
    files: update.changed.map((f) => f.path),
    references: update.references,
    problems: [
      ...update.skipped.map((f) => `skipped ${f.path}: ${f.reason}`),
      ...update.changed.flatMap((f) => f.problems.map((p) => `${f.path}: ${p}`)),
      ...update.current.flatMap((f) => f.problems.map((p) => `${f.path}: ${p}`)),
    ],
  };
}

/** The tag in a value that is either a bare tag or a full `repo:tag[@digest]` reference. */
export function tagOf(value: string): string | null {
  const withoutDigest = value.split('@')[0] ?? '';
  const colon = withoutDigest.lastIndexOf(':');
  const tag =
    colon > withoutDigest.lastIndexOf('/') && colon >= 0 ? withoutDigest.slice(colon + 1) : withoutDigest;
  return tag === '' ? null : tag;
}
