import { basename } from 'node:path';
import type { FileUpdate } from './file-update.js';
import type { ImageChange } from './types.js';
import { updateFile, updaters } from './update-file.js';

export interface TreeUpdate {
  /** Files that change, sorted by path. */
  changed: Extract<FileUpdate, { status: 'changed' }>[];
  /** Files with references already at the tag. */
  current: Extract<FileUpdate, { status: 'current' }>[];
  /** Files left alone, with the reason (not YAML, edit would not read back). */
  skipped: Extract<FileUpdate, { status: 'skipped' }>[];
  /** References to the image found across the tree, changed or not. */
  references: number;
}

/** Whether promobot reads `path` as YAML: `*.yaml`, `*.yml` and kustomize's extension-less `Kustomization`. */
export function isYamlPath(path: string): boolean {
  return /\.ya?ml$/i.test(path) || basename(path) === 'Kustomization';
}

/**
 * {@link updateFile} over a set of files (path → content), YAML files only. A quick text check skips files that
 * cannot mention the image, so a 10,000-file environment costs a parse only where it might matter.
 */
export function updateTree(
  files: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  change: ImageChange,
): TreeUpdate {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const formats = updaters();
  const needles = mentions(change);
  const result: TreeUpdate = { changed: [], current: [], skipped: [], references: 0 };
  for (const [path, text] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!isYamlPath(path) || !needles.some((needle) => text.includes(needle))) continue;
    const update = updateFile(path, text, change, formats);
    if (update.status === 'changed') result.changed.push(update);
    if (update.status === 'current') result.current.push(update);
    if (update.status === 'skipped') result.skipped.push(update);
    if (update.status === 'changed' || update.status === 'current') result.references += update.references;
  }
  return result;
}

/** Strings one of which any file referring to the image must contain. */
export function mentions(change: ImageChange): string[] {
  const lastSegment = change.image.slice(change.image.lastIndexOf('/') + 1);
  const keys = (change.helmTagPaths ?? []).map((path) => path.slice(path.lastIndexOf('.') + 1));
  return [lastSegment, 'promobot:', ...keys];
}
