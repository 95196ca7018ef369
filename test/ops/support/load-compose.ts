import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './repo-root.js';

export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');

/** A Compose service, as far as these tests look into it. */
export interface ComposeService {
  readonly image?: string;
  readonly user?: string;
  readonly build?: string | { readonly context?: string; readonly dockerfile?: string };
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly secrets?: readonly string[];
  readonly volumes?: readonly string[];
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
}

export interface ComposeDocument {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly secrets?: Readonly<Record<string, { readonly file?: string }>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
}

/** docker-compose.yml as Compose reads it: YAML merge keys (`<<: *anchor`) applied. */
export function loadCompose(): ComposeDocument {
  return parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeDocument;
}
