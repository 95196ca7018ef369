import { basename } from 'node:path';

/** The file names kustomize reads as a kustomization. */
const NAMES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

/** Whether kustomize reads the file at `path` as a kustomization. */
export function isKustomization(path: string): boolean {
  return NAMES.has(basename(path));
}
