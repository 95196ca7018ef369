import { isAbsolute, join } from 'node:path';

/** A file or folder on the host that a Compose file points at. */
export interface ComposeReference {
  readonly where: string;
  readonly path: string;
}

type Dict = Record<string, unknown>;

const asDict = (value: unknown): Dict =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Dict) : {};
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * Every host path a Compose document references — build contexts and Dockerfiles, bind mounts, `env_file`s, and
 * the files of top-level secrets and configs — resolved against the directory of the Compose file.
 */
export function composeReferences(document: unknown, baseDir: string): ComposeReference[] {
  const refs: ComposeReference[] = [];
  const add = (where: string, path: string) =>
    refs.push({ where, path: isAbsolute(path) ? path : join(baseDir, path) });

  for (const [name, raw] of Object.entries(asDict(asDict(document).services))) {
    const service = asDict(raw);
    const build = service.build;
    if (typeof build === 'string') add(`${name}.build`, build);
    else if (build !== undefined) {
      const context = String(asDict(build).context ?? '.');
      add(`${name}.build.context`, context);
      const dockerfile = asDict(build).dockerfile;
      if (typeof dockerfile === 'string') add(`${name}.build.dockerfile`, join(context, dockerfile));
    }
    for (const volume of asList(service.volumes)) {
      if (typeof volume === 'string') {
        const source = volume.split(':')[0] ?? '';
        // Short syntax: a source that is a path (not a named volume) is a bind mount.
        if (source.startsWith('.') || source.startsWith('/') || source.startsWith('~')) {
          add(`${name}.volumes`, source);
        }
      } else if (asDict(volume).type === 'bind') {
        add(`${name}.volumes`, String(asDict(volume).source));
      }
    }
    const envFile = service.env_file;
    for (const file of typeof envFile === 'string' ? [envFile] : asList(envFile)) {
      add(`${name}.env_file`, typeof file === 'string' ? file : String(asDict(file).path));
    }
  }
  for (const section of ['secrets', 'configs'] as const) {
    for (const [name, raw] of Object.entries(asDict(asDict(document)[section]))) {
      const file = asDict(raw).file;
      if (typeof file === 'string') add(`${section}.${name}.file`, file);
    }
  }
  return refs;
}
