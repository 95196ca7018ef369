import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { readYamlDocuments } from './read-yaml-documents.js';

/** A kustomization.yaml (Kustomization or Component), as far as these tests read it. */
export interface Kustomization {
  readonly kind?: string;
  readonly resources?: readonly string[];
  readonly components?: readonly string[];
  readonly patches?: readonly { readonly path?: string; readonly patch?: string }[];
  readonly configMapGenerator?: readonly {
    readonly name: string;
    readonly files?: readonly string[];
    readonly literals?: readonly string[];
  }[];
  readonly secretGenerator?: readonly unknown[];
}

/** One file a kustomization points at, with the role it plays. */
export interface KustomizeReference {
  readonly from: string;
  readonly role: 'resource' | 'component' | 'patch' | 'generator-file';
  readonly path: string;
}

/** Every kustomization.yaml under `root`, parsed, by absolute path. */
export function findKustomizations(root: string): Map<string, Kustomization> {
  const found = new Map<string, Kustomization>();
  for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (file.endsWith('kustomization.yaml')) {
      found.set(join(root, file), (readYamlDocuments(join(root, file))[0] ?? {}) as Kustomization);
    }
  }
  return found;
}

/** What each kustomization references, resolved against its folder (a `key=path` generator entry by its path). */
export function kustomizeReferences(kustomizations: Map<string, Kustomization>): KustomizeReference[] {
  const refs: KustomizeReference[] = [];
  for (const [file, k] of kustomizations) {
    const dir = dirname(file);
    const add = (role: KustomizeReference['role'], path: string) =>
      refs.push({ from: file, role, path: join(dir, path) });
    for (const r of k.resources ?? []) add('resource', r);
    for (const c of k.components ?? []) add('component', c);
    for (const p of k.patches ?? []) if (p.path !== undefined) add('patch', p.path);
    for (const g of k.configMapGenerator ?? [])
      for (const f of g.files ?? []) add('generator-file', f.split('=').at(-1) ?? f);
  }
  return refs;
}

/** Whether a reference exists: a file, or for resources and components a folder with a kustomization.yaml. */
export function referenceExists(ref: KustomizeReference): boolean {
  if (!existsSync(ref.path)) return false;
  if (!statSync(ref.path).isDirectory()) return ref.role !== 'component';
  return (
    (ref.role === 'resource' || ref.role === 'component') && existsSync(join(ref.path, 'kustomization.yaml'))
  );
}

/** A path relative to `root`, for readable failure messages. */
export const rel = (root: string, path: string): string => relative(root, path);
